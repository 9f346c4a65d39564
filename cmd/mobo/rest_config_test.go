package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestProjectRESTConfig: `mobo project config` changes one project's REST
// settings through the admin API, online and offline; the running server
// applies them at once, and other projects keep the platform default.
func TestProjectRESTConfig(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	mobo := func(args ...string) (string, error) { return cli(dir, "", args...) }
	p := createProject(t, dir, "capped")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, db := range []string{p.Database, "proj_default"} {
		conn, err := pgx.Connect(ctx, clusterURL(t, dir, db))
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, `create table items (id int primary key); insert into items values (1), (2), (3);
			grant select on items to anon`)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	defaultKey := s.keys(t)["anon key"]
	get := func(path, key string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
			if key != "" {
				req.Header.Set("apikey", key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var compact bytes.Buffer
			if json.Compact(&compact, b) == nil {
				b = compact.Bytes()
			}
			// A table made a moment ago reaches the schema cache by
			// notification; wait for it.
			if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
				return resp.StatusCode, string(b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code, body := get("/p/capped/rest/v1/items?select=id&order=id", p.AnonKey); code != 200 || body != `[{"id":1},{"id":2},{"id":3}]` {
		t.Fatalf("before: %d %s", code, body)
	}

	out, err := mobo("project", "config", "capped", "--max-rows", "2", "--disable-anonymous", "--json")
	if err != nil || !strings.Contains(out, `"max_rows": 2`) || !strings.Contains(out, `"disable_anonymous": true`) {
		t.Fatalf("config: %v\n%s", err, out)
	}
	for _, c := range []struct {
		path, key string
		code      int
		body      string
	}{
		{"/p/capped/rest/v1/items?select=id&order=id", p.AnonKey, 200, `[{"id":1},{"id":2}]`},
		{"/p/capped/rest/v1/items?select=id", "", 401, "PGRST302"},
		{"/rest/v1/items?select=id&order=id", defaultKey, 200, `[{"id":1},{"id":2},{"id":3}]`},
		{"/rest/v1/items?select=id&order=id", "", 200, `[{"id":1},{"id":2},{"id":3}]`},
	} {
		if code, body := get(c.path, c.key); code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("GET %s (key %v) = %d %s, want %d %s", c.path, c.key != "", code, body, c.code, c.body)
		}
	}
	if out, err := mobo("project", "config", "capped", "--schemas", "public,bad name"); err == nil || !strings.Contains(out, "not a schema name") {
		t.Errorf("bad schema name: %v\n%s", err, out)
	}
	if out, err := mobo("project", "config", "nope"); err == nil || !strings.Contains(out, "no such project") {
		t.Errorf("unknown project: %v\n%s", err, out)
	}
	out, err = mobo("project", "config", "capped", "--reset", "max_rows")
	if err != nil || !strings.Contains(out, "max_rows") {
		t.Fatalf("reset: %v\n%s", err, out)
	}
	if code, body := get("/p/capped/rest/v1/items?select=id&order=id", p.AnonKey); code != 200 || body != `[{"id":1},{"id":2},{"id":3}]` {
		t.Errorf("after reset: %d %s", code, body)
	}
	// Each change is in the audit log.
	conn, err := pgx.Connect(ctx, clusterURL(t, dir, "mobo"))
	if err != nil {
		t.Fatal(err)
	}
	var changes int
	err = conn.QueryRow(ctx, "select count(*) from mobo.audit_log where action = 'project.rest_settings' and target = 'capped'").Scan(&changes)
	conn.Close(ctx)
	if err != nil || changes != 2 {
		t.Errorf("audit log: %d changes, %v; want 2", changes, err)
	}
	s.stop(t, syscall.SIGINT)

	// Offline, the settings are where the server left them.
	out, err = mobo("project", "config", "capped", "--json")
	if err != nil || !strings.Contains(out, `"overrides": {`) || !strings.Contains(out, `"disable_anonymous": true`) || strings.Contains(out, `"max_rows": 2`) {
		t.Errorf("offline show: %v\n%s", err, out)
	}
	out, err = mobo("project", "config", "capped", "--aggregates")
	if err != nil || !strings.Contains(out, "aggregates") || !strings.Contains(out, "project") {
		t.Errorf("offline set: %v\n%s", err, out)
	}
}
