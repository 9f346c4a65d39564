// PostGraphile 5 on loopback, the peer `make bench-graphql` (cmd/graphqlbench)
// measures /graphql/v1 against. It serves DATABASE_URL's public schema at
// http://127.0.0.1:PORT/graphql with the amber preset, in production mode, a
// pool of 10 connections (mobo's default per project) and each request under
// the role anon (pgSettings: a transaction with SET LOCAL ROLE, as mobo runs
// its requests), and prints "ready" once it listens.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const port = Number(process.env.PORT);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { graphiql: false, watch: false },
  grafast: {
    explain: false,
    context() {
      return { pgSettings: { role: "anon" } };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => console.log("ready"));
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
