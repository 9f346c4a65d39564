package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestHostileIdentifiers: tables and columns whose names are legal in
// PostgreSQL but hostile to SQL built as text ($$, quotes, semicolons,
// unicode, reserved words) work through REST, GraphQL and realtime, and
// nothing of them is executed.
func TestHostileIdentifiers(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	service := s.keys(t)["service_role key"]
	db := projectDB(t, dir, "default")
	mustExec(t, db, `
		create table public."a$$b" ("x;drop" int primary key, """x""" text, "ünï" text, "select" text);
		create table public.author (id int primary key, name text);
		create table public.book (id int primary key, "a$$b" int references public.author (id), title text);
		create table public."order" (id int primary key, "from" text);
		alter publication supabase_realtime add table public."a$$b";
		insert into public.author values (1, 'Ann');
		insert into public.book values (10, 1, 'First');
		notify pgrst, 'reload schema';`)

	rest := func(method, path, body string, want int) map[string]any {
		t.Helper()
		var st int
		var m map[string]any
		for deadline := time.Now().Add(10 * time.Second); ; { // until the schema cache has the tables
			st, m = s.call(t, method, path, service, service, body)
			if st == want || st != 404 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if st != want {
			t.Fatalf("%s %s = %d %v, want %d", method, path, st, m, want)
		}
		return m
	}
	tbl := "/rest/v1/" + url.PathEscape("a$$b")
	rest("POST", tbl, `{"x;drop": 1, "\"x\"": "q", "ünï": "u", "select": "s"}`, 201)
	st, body := s.callRaw(t, "GET", tbl+"?select=*&"+url.QueryEscape(`"x;drop"`)+"=eq.1&order="+url.QueryEscape("ünï"), service)
	if st != 200 || body != `[{"x;drop":1,"\"x\"":"q","ünï":"u","select":"s"}]` {
		t.Errorf("GET a$$b = %d %s", st, body)
	}
	// PostgREST's grammar quotes such names in select.
	st, body = s.callRaw(t, "GET", tbl+"?select="+url.QueryEscape(`"x;drop",ünï,select`), service)
	if st != 200 || body != `[{"x;drop":1,"ünï":"u","select":"s"}]` {
		t.Errorf("GET a$$b with a quoted select = %d %s", st, body)
	}
	st, body = s.callRaw(t, "GET", "/rest/v1/book?select=title,author(name)", service)
	if st != 200 || body != `[{"title":"First","author":{"name":"Ann"}}]` {
		t.Errorf("embedding through a key column named a$$b = %d %s", st, body)
	}
	rest("POST", "/rest/v1/order", `{"id": 1, "from": "here"}`, 201)
	if st, body = s.callRaw(t, "GET", "/rest/v1/order?select=from&from=eq.here", service); st != 200 || body != `[{"from":"here"}]` {
		t.Errorf("reserved words = %d %s", st, body)
	}

	// GraphQL joins book to author through the column a$$b.
	gql, _ := json.Marshal(map[string]string{"query": `{ bookCollection { edges { node { title author { name } } } } }`})
	if st, m := s.call(t, "POST", "/graphql/v1", service, service, string(gql)); st != 200 || !strings.Contains(mustJSON(t, m), `"author":{"name":"Ann"}`) {
		t.Errorf("GraphQL through a$$b = %d %s", st, mustJSON(t, m))
	}

	// Realtime: changes of a$$b, filtered on "x;drop".
	c := dialRT(t, s, service)
	cfg := map[string]any{"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "a$$b", "filter": "x;drop=eq.2"}}}
	if c == nil || !c.join(t, "realtime:hostile", cfg, service) {
		t.Fatal("could not subscribe to a$$b")
	}
	mustExec(t, db, `insert into public."a$$b" ("x;drop", "ünï") values (3, 'not me'), (2, 'me')`)
	m, ok := c.await(20*time.Second, func(m rtMsg) bool { return m.Event == "postgres_changes" })
	if !ok || !strings.Contains(string(m.Payload), `"ünï":"me"`) {
		t.Fatalf("change of a$$b: %v %s", ok, m.Payload)
	}
	// Every table is intact.
	var n int
	if err := db.QueryRow(t.Context(), `select count(*) from public."a$$b"`).Scan(&n); err != nil || n != 3 {
		t.Errorf("a$$b has %d rows (%v), want 3", n, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// callRaw sends a GET-style request with key as apikey and bearer, and
// returns the status and the body as it came.
func (s *server) callRaw(t *testing.T, method, path, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("apikey", key)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
