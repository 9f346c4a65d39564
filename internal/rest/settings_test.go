package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// twoProjects is a Projects with a database per project and their REST
// settings kept in memory (the tenant component keeps them in the control
// plane; its SQL is tested with the admin API in cmd/mobo). As the tenant,
// it runs the change hook after a change.
type twoProjects struct {
	pools   map[string]*pgxpool.Pool
	changed func(ctx context.Context, ref string) error

	mu       sync.Mutex
	settings map[string]map[string]json.RawMessage
}

var _ SettingsStore = (*twoProjects)(nil)

func (p *twoProjects) Pool(_ context.Context, ref string) (*pgxpool.Pool, error) {
	if pool, ok := p.pools[ref]; ok {
		return pool, nil
	}
	return nil, fmt.Errorf("project %q: no such project", ref)
}

func (p *twoProjects) RESTSettings(_ context.Context, ref string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return json.Marshal(p.settings[ref])
}

func (p *twoProjects) PatchRESTSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	out, err := p.patch(ref, patch)
	if err == nil && p.changed != nil {
		err = p.changed(ctx, ref)
	}
	return out, err
}

func (p *twoProjects) patch(ref string, patch []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(patch, &m); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := maps.Clone(p.settings[ref])
	if cur == nil {
		cur = map[string]json.RawMessage{}
	}
	for k, v := range m {
		if string(v) == "null" {
			delete(cur, k)
		} else {
			cur[k] = v
		}
	}
	p.settings[ref] = cur
	return json.Marshal(cur)
}

// projectsEnv serves projects "one" and "two", each on its own database,
// at /p/{ref}/rest/v1 under one REST server.
type projectsEnv struct {
	*env
	dbs   map[string]*pgtest.DB
	store *twoProjects
	base  string
}

// projectSQL adds, to each project's database, a schema "api" that only a
// project exposing it serves, and a function showing the search path.
const projectSQL = `create schema api; grant usage on schema api to anon;
create table api.things (id int primary key, name text); grant select on api.things to anon;
insert into api.things values (1, 'thing');
create schema ext; grant usage on schema ext to anon;
create function search_path() returns text language sql stable as $$ select current_setting('search_path') $$;
create table tally (id int primary key, n int not null); grant select, update on tally to anon;
insert into tally values (1, 0)`

func newProjectsEnv(t *testing.T, platform Config) *projectsEnv {
	t.Helper()
	store := &twoProjects{pools: map[string]*pgxpool.Pool{}, settings: map[string]map[string]json.RawMessage{}}
	dbs := map[string]*pgtest.DB{}
	for _, ref := range []string{"one", "two"} {
		db := pgtest.NewDB(t, template(t))
		if _, err := db.Pool.Exec(t.Context(), projectSQL); err != nil {
			t.Fatal(err)
		}
		dbs[ref], store.pools[ref] = db, db.Pool
	}
	g := testGate()
	g.Pools = store
	cat := newCatalog(t, store, store, platform, 0)
	srv := New(Options{Config: platform, Settings: store, Catalog: cat, Gate: gate.New(g), Logger: slog.New(slog.NewTextHandler(tlog{t}, nil))})
	store.changed = cat.ProjectChanged
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/p/"), "/")
		if !ok || store.pools[ref] == nil {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(httpx.WithProject(r.Context(), ref))
		r2.URL.Path = "/" + rest
		h.ServeHTTP(w, r2)
	}))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	e := &env{srv: srv, cat: cat, anon: token(t, jwt.MapClaims{"role": "anon"}), svc: token(t, jwt.MapClaims{"role": "service_role"}), client: hs.Client()}
	return &projectsEnv{env: e, dbs: dbs, store: store, base: hs.URL}
}

// schemas are the exposed schemas of project ref's current snapshot.
func (e *projectsEnv) schemas(t *testing.T, ref string) []string {
	t.Helper()
	snap, err := e.cat.Snapshot(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return snap.Schemas()
}

// on points the env's requests at project ref.
func (e *projectsEnv) on(ref string) *env {
	cp := *e.env
	cp.url = e.base + "/p/" + ref + "/rest/v1"
	cp.db = e.dbs[ref]
	return &cp
}

func (e *projectsEnv) patch(t *testing.T, ref, patch string) ProjectConfig {
	t.Helper()
	out, err := e.srv.PatchProjectConfig(t.Context(), ref, json.RawMessage(patch))
	if err != nil {
		t.Fatalf("patch %s %s: %v", ref, patch, err)
	}
	var pc ProjectConfig
	if err := json.Unmarshal(out, &pc); err != nil {
		t.Fatal(err)
	}
	return pc
}

// TestProjectSettings: each of PostgREST's settings applies per project —
// project one overrides the platform default, project two keeps it — and
// a change applies at the next request, without a restart.
func TestProjectSettings(t *testing.T) {
	t.Parallel()
	e := newProjectsEnv(t, Config{ExtraSearchPath: []string{"public"}})
	e.patch(t, "one", `{"schemas":["public","api"],"extra_search_path":["public","ext"],"max_rows":1,"aggregates":true,
		"disable_anonymous":true,"tx_overrides":true,"plan":true,"max_body_bytes":64}`)
	one, two := e.on("one"), e.on("two")
	rollback := map[string]string{"Prefer": "tx=rollback, return=representation"}
	plan := map[string]string{"Accept": "application/vnd.pgrst.plan+json"}
	for _, c := range []struct {
		setting  string
		sc       scenario
		one, two scenario // expectations: status, want, has, headers
	}{
		{
			"schemas",
			scenario{path: "/things?select=name", header: map[string]string{"Accept-Profile": "api"}},
			scenario{status: 200, want: `[{"name":"thing"}]`, headers: map[string]string{"Content-Profile": "api"}},
			scenario{status: 406, has: []string{"PGRST106", "The schema must be one of the following: public"}},
		},
		{
			"extra_search_path", // the request's schema, then the extra path, verbatim as PostgREST sets it
			scenario{path: "/rpc/search_path"},
			scenario{status: 200, want: `"\"public\", \"public\", \"ext\""`},
			scenario{status: 200, want: `"\"public\", \"public\""`},
		},
		{
			"max_rows",
			scenario{path: "/users?select=id&order=id"},
			scenario{status: 200, want: `[{"id":1}]`, headers: map[string]string{"Content-Range": "0-0/*"}},
			scenario{status: 200, want: `[{"id":1},{"id":2},{"id":3}]`, headers: map[string]string{"Content-Range": "0-2/*"}},
		},
		{
			"aggregates",
			scenario{path: "/users?select=count()"},
			scenario{status: 200, want: `[{"count":3}]`},
			scenario{status: 400, has: []string{"PGRST123"}},
		},
		{
			"disable_anonymous",
			scenario{path: "/users?select=id&id=eq.1", as: "none"},
			scenario{status: 401, has: []string{"PGRST302"}},
			scenario{status: 200, want: `[{"id":1}]`},
		},
		{
			"tx_overrides",
			scenario{method: "PATCH", path: "/tally?id=eq.1&select=n", body: `{"n":7}`, header: rollback},
			scenario{status: 200, want: `[{"n":7}]`, headers: map[string]string{"Preference-Applied": "return=representation, tx=rollback"}},
			scenario{status: 200, want: `[{"n":7}]`, headers: map[string]string{"Preference-Applied": "return=representation"}},
		},
		{
			"max_body_bytes",
			scenario{method: "PATCH", path: "/tally?id=eq.-1", body: `{"n":1` + strings.Repeat(" ", 100) + `}`, as: "service"},
			scenario{status: 413, has: []string{"PGRST102", "Request body too large"}},
			scenario{status: 204},
		},
		{
			"plan",
			scenario{path: "/users?select=id", header: plan},
			scenario{status: 200, has: []string{`"Plan"`}},
			scenario{status: 406, has: []string{"PGRST107"}},
		},
	} {
		t.Run(c.setting, func(t *testing.T) {
			for _, p := range []struct {
				name string
				e    *env
				want scenario
			}{{"one", one, c.one}, {"two", two, c.two}} {
				sc := c.sc
				sc.status, sc.want, sc.has, sc.headers = p.want.status, p.want.want, p.want.has, p.want.headers
				t.Run(p.name, func(t *testing.T) { p.e.check(t, sc) })
			}
		})
	}
	t.Run("tx rollback left the data as it was", func(t *testing.T) {
		one.check(t, scenario{path: "/tally?select=n", as: "service", status: 200, want: `[{"n":0}]`})
		two.check(t, scenario{path: "/tally?select=n", status: 200, want: `[{"n":7}]`})
	})

	t.Run("change applies without restart", func(t *testing.T) {
		two.check(t, scenario{path: "/things?select=name", status: 404, has: []string{"PGRST205"}})
		pc := e.patch(t, "two", `{"schemas":["api"],"max_rows":2}`)
		if got := strings.Join(pc.Effective.Schemas, ","); got != "api" || pc.Effective.MaxRows != 2 {
			t.Errorf("effective after patch = %+v", pc.Effective)
		}
		two.check(t, scenario{path: "/things?select=name", status: 200, want: `[{"name":"thing"}]`})
		if got := e.schemas(t, "two"); strings.Join(got, ",") != "api" {
			t.Errorf("Schemas(two) = %v", got)
		}
		// Back to the platform default; project one keeps its own.
		pc = e.patch(t, "two", `{"schemas":null,"max_rows":null}`)
		if string(pc.Overrides) != "{}" || pc.Effective.MaxRows != 0 || strings.Join(pc.Effective.Schemas, ",") != "public" {
			t.Errorf("after reset = %s %+v", pc.Overrides, pc.Effective)
		}
		two.check(t, scenario{path: "/things", status: 404, has: []string{"PGRST205"}})
		two.check(t, scenario{path: "/users?select=id", status: 200, want: `[{"id":1},{"id":2},{"id":3}]`})
		one.check(t, scenario{path: "/users?select=id&order=id", status: 200, want: `[{"id":1}]`})
		if got := e.schemas(t, "one"); strings.Join(got, ",") != "public,api" {
			t.Errorf("Schemas(one) = %v", got)
		}
	})

	t.Run("a change made by another node arrives by notification", func(t *testing.T) {
		// Another node changed the settings in the control plane and
		// notified the project's database; this node's listener reloads.
		if _, err := e.store.patch("two", []byte(`{"max_rows":1}`)); err != nil { // as another node: no hook here
			t.Fatal(err)
		}
		t.Cleanup(func() { e.patch(t, "two", `{"max_rows":null}`) })
		if _, err := e.dbs["two"].Pool.Exec(t.Context(), "notify pgrst, 'reload schema'"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			res, b := two.do(t, scenario{path: "/users?select=id&order=id"})
			if res.StatusCode == 200 && string(b) == `[{"id":1}]` {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("max_rows 1 not applied: %d %s", res.StatusCode, b)
			}
			select {
			case <-e.cat.Reloaded("two"):
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	t.Run("platform default", func(t *testing.T) {
		out, err := e.srv.ProjectConfig(t.Context(), "two")
		if err != nil {
			t.Fatal(err)
		}
		var pc ProjectConfig
		if err := json.Unmarshal(out, &pc); err != nil {
			t.Fatal(err)
		}
		if pc.Ref != "two" || string(pc.Overrides) != "{}" || pc.Effective.Plan || strings.Join(pc.Effective.ExtraSearchPath, ",") != "public" {
			t.Errorf("two = %s", out)
		}
	})
}

func TestProjectSettingsValidation(t *testing.T) {
	t.Parallel()
	e := newProjectsEnv(t, Config{})
	e.patch(t, "one", `{"max_rows":2}`)
	for _, patch := range []string{
		`[]`, `"max_rows"`, `{"max_rowz":1}`, `{"max_rows":-1}`, `{"max_rows":"ten"}`, `{"max_rows":1.5}`,
		`{"schemas":"public"}`, `{"schemas":["public; drop table users"]}`, `{"schemas":[""]}`, `{"schemas":["a","a"]}`,
		`{"extra_search_path":[1]}`, `{"plan":"yes"}`, `{"aggregates":1}`,
	} {
		t.Run(patch, func(t *testing.T) {
			_, err := e.srv.PatchProjectConfig(t.Context(), "one", json.RawMessage(patch))
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
	// Nothing changed.
	e.on("one").check(t, scenario{path: "/users?select=id&order=id", status: 200, want: `[{"id":1},{"id":2}]`})
	out, err := e.srv.ProjectConfig(t.Context(), "one")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"overrides":{"max_rows":2}`) {
		t.Errorf("settings after refused patches: %s", out)
	}
}
