package graphql

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkHandler runs the two queries of `make bench-graphql` through
// the handler in-process (no gateway), for profiling:
//
//	go test -run='^$' -bench=Handler -cpuprofile cpu.out ./internal/graphql/
func BenchmarkHandler(b *testing.B) {
	e := newEnv(b, Config{})
	const seed = `create table author (id int primary key, name text not null);
create table post (id int primary key, author_id int not null references author (id), title text not null);
create index on post (author_id);
insert into author select i, 'author ' || i from generate_series(1, 1000) i;
insert into post select i, (i - 1) / 5 + 1, 'post ' || i from generate_series(1, 5000) i;
grant select on author, post to anon;
analyze author, post;
notify pgrst, 'reload schema';`
	if _, err := e.db.Pool.Exec(b.Context(), seed); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, body string }{
		{"lookup", `{"query":"query($id: Int!) { authorCollection(filter: {id: {eq: $id}}) { edges { node { id name } } } }","variables":{"id":%d}}`},
		{"list", `{"query":"{ authorCollection(first: 20) { edges { node { id name postCollection { edges { node { id title } } } } } } }"}`},
	} {
		bodies := make([][]byte, 100)
		for i := range bodies {
			bodies[i] = []byte(q.body)
			if bytes.Contains(bodies[i], []byte("%d")) {
				bodies[i] = fmt.Appendf(nil, q.body, i+1)
			}
		}
		send := func(i int) error {
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, e.url, bytes.NewReader(bodies[i%len(bodies)]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.anon)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			if res.StatusCode != http.StatusOK || !bytes.Contains(buf.Bytes(), []byte(`"node":{"id":`)) {
				return fmt.Errorf("%d: %s", res.StatusCode, buf.Bytes())
			}
			return nil
		}
		// The schema cache reloads on the notify; wait for the tables.
		for i := 0; send(0) != nil; i++ {
			if i > 200 {
				b.Fatal(send(0))
			}
			http.DefaultClient.CloseIdleConnections()
		}
		b.Run(q.name, func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if err := send(i); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}
