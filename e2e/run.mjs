// Runs the client suite: builds mobo (unless MOBO_BIN is set), starts
// `mobo serve` on a fresh data dir and a free port, runs every
// tests/*.test.mjs with node's test runner against it, then stops it.
//
// Tests get the server through the environment:
//   MOBO_URL, MOBO_ANON_KEY, MOBO_SERVICE_KEY  the API and its keys
//   MOBO_ADMIN_KEY                              the admin API's key
//   MOBO_DB_URL                                 a superuser URL of the default
//                                               project's database, for seeding
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  let bin = process.env.MOBO_BIN;
  if (!bin) {
    bin = join(root, 'bin', 'mobo-e2e');
    execFileSync('go', ['build', '-o', bin, './cmd/mobo'], { cwd: root, stdio: 'inherit' });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mobo-e2e-'));
  chmodSync(dataDir, 0o755); // postgres's OS user must reach it when we run as root
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', '--data-dir', dataDir, '--http', `127.0.0.1:${port}`, '--log-format', 'json', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let logs = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { logs += d; });
  let exited = null;
  child.on('exit', (code, sig) => { exited = { code, sig }; });

  const stop = async () => {
    if (exited) return;
    child.kill('SIGINT');
    for (let i = 0; i < 600 && !exited; i++) await sleep(50);
    if (!exited) child.kill('SIGKILL');
  };

  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (exited) throw new Error(`mobo exited early (${JSON.stringify(exited)}):\n${out}\n${logs}`);
      if (Date.now() > deadline) throw new Error(`mobo not ready in time:\n${out}\n${logs}`);
      try {
        const r = await fetch(`${url}/readyz`);
        if (r.ok && out.includes('Press Ctrl-C')) break;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    // Off a terminal mobo prints no keys: read them as scripts do.
    const shown = JSON.parse(execFileSync(bin, ['project', 'show', 'default', '--json', '--data-dir', dataDir], { encoding: 'utf8' }));
    const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    const keys = { 'anon key': shown.anon_key, 'service_role key': shown.service_key, 'admin key': info.admin_key };
    const key = (name) => {
      if (!keys[name]) throw new Error(`no ${name} (project show: ${JSON.stringify(shown)})`);
      return keys[name];
    };
    const password = readFileSync(join(dataDir, 'pg_superuser_password'), 'utf8').trim();
    const pgPort = readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3].trim();
    const env = {
      ...process.env,
      MOBO_URL: url,
      MOBO_ANON_KEY: key('anon key'),
      MOBO_SERVICE_KEY: key('service_role key'),
      MOBO_ADMIN_KEY: key('admin key'),
      MOBO_DB_URL: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/proj_default`,
    };
    const files = readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join('tests', f));
    const code = await new Promise((resolve) => {
      const t = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], { cwd: here, env, stdio: 'inherit' });
      t.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      process.stderr.write(`\nmobo logs (warn and above):\n${logs}\n`);
    }
    await stop();
    process.exitCode = code;
  } catch (err) {
    await stop();
    throw err;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
