package rest

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

// TestDatabaseUnavailable: a database that cannot serve gets PostgREST's
// 503 with Retry-After, never a 500: no connection can be made (PGRST000),
// or the server ends the request's connection (PGRST001, a terminated
// backend here).
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("no connection", func(t *testing.T) {
		t.Parallel()
		pool := pgtest.UnreachablePool(t)
		e := newEnv(t, Config{}, func(o *envOptions) { o.pools = poolProjects{pool} })
		e.check(t, scenario{path: "/users", status: http.StatusServiceUnavailable, has: []string{`"code":"PGRST000"`}, headers: map[string]string{"Retry-After": "1"}})
	})
	t.Run("terminated backend", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, Config{})
		ctx := t.Context()
		if _, err := e.db.Pool.Exec(ctx, `create function slow() returns int language sql as 'select pg_sleep(30); select 1';
			notify pgrst, 'reload schema'`); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
				var n int
				_ = e.db.Pool.QueryRow(context.Background(), `select count(pg_terminate_backend(pid)) from pg_stat_activity
					where query like '%slow%' and query not like '%pg_stat_activity%' and state = 'active'`).Scan(&n)
				if n > 0 {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		for deadline := time.Now().Add(10 * time.Second); ; { // until the schema cache has slow()
			res, _ := e.do(t, scenario{method: "POST", path: "/rpc/slow", body: `{}`})
			if res.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
				if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "1" {
					t.Errorf("a terminated backend answered %d (Retry-After %q), want 503", res.StatusCode, res.Header.Get("Retry-After"))
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		<-done
	})
}

// TestLongURLNotEchoed: a read's Content-Location echoes its URL unless it
// is longer than maxEchoedLocation.
func TestLongURLNotEchoed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	res, _ := e.do(t, scenario{path: "/users?select=id&name=not.eq." + strings.Repeat("x", maxEchoedLocation)})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Location") != "" {
		t.Errorf("long URL: %d, Content-Location of %d bytes", res.StatusCode, len(res.Header.Get("Content-Location")))
	}
	res, _ = e.do(t, scenario{path: "/users?select=id"})
	if res.Header.Get("Content-Location") != "/users?select=id" {
		t.Errorf("short URL: Content-Location %q", res.Header.Get("Content-Location"))
	}
}

// overQuota is the gate's quota stage for a project over its size quota.
type overQuota struct{}

func (overQuota) OverQuota(string) bool { return true }

// TestOverQuota: over its size quota (the tenant makes the database
// read-only by default and the gate knows), a project refuses inserts,
// updates and writing functions with a 403 in PostgREST's format, and still
// takes deletes, so it can shrink; reads go on.
func TestOverQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(o *envOptions) { o.gate.Quota = overQuota{} })
	ctx := t.Context()
	if _, err := e.db.Pool.Exec(ctx, "alter database "+pgx.Identifier{e.db.Name}.Sanitize()+" set default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	e.db.Pool.Reset()
	quota := []string{`"code":"53100"`, "over its size quota"}
	runScenarios(t, e, []scenario{
		{name: "read", path: "/labels?select=name&id=eq.1", status: 200, want: `[{"name":"go"}]`},
		{name: "insert", method: "POST", path: "/labels", body: `{"name":"new"}`, as: "service", status: 403, has: quota},
		{name: "update", method: "PATCH", path: "/labels?id=eq.1", body: `{"name":"renamed"}`, as: "service", status: 403, has: quota},
		{name: "writing function", method: "POST", path: "/rpc/touch", body: `{"p_id":1}`, as: "service", status: 403, has: quota},
		{name: "delete", method: "DELETE", path: "/post_labels", as: "service", status: 204},
		{name: "deleted", path: "/post_labels?select=post_id", as: "service", status: 200, want: `[]`},
	})
}

// TestOpenAPIPerRole: the OpenAPI document shows a role only the relations,
// methods and functions it may use, as PostgREST does; the service role
// sees everything.
func TestOpenAPIPerRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `revoke all on labels from anon;
		revoke insert, update, delete on comments from anon;
		revoke execute on function add(int, int) from anon, public`); err != nil {
		t.Fatal(err)
	}
	paths := func(as string) map[string]map[string]any {
		t.Helper()
		res, body := e.do(t, scenario{path: "/", as: as})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET / as %s: %d %s", as, res.StatusCode, body)
		}
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Paths
	}
	anon := paths("anon")
	if _, ok := anon["/labels"]; ok {
		t.Error("anon sees labels, on which it has no privilege")
	}
	if _, ok := anon["/rpc/add"]; ok {
		t.Error("anon sees add(), which it may not execute")
	}
	if c := anon["/comments"]; c["get"] == nil || c["post"] != nil || c["patch"] != nil || c["delete"] != nil {
		t.Errorf("anon's comments methods: %v, want only get", slices.Sorted(maps.Keys(c)))
	}
	if anon["/users"]["get"] == nil {
		t.Error("anon does not see users")
	}
	svc := paths("service")
	for _, p := range []string{"/labels", "/rpc/add", "/comments"} {
		if svc[p] == nil {
			t.Errorf("the service role does not see %s", p)
		}
	}
}
