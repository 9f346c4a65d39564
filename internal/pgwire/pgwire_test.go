package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/goleak"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/tenant"
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	// Sessions, pumps and pools all end with Stop.
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
		code = 1
	}
	os.Exit(code)
}

// projects is the tenant's catalogue and connections, as cmd/mobo gives
// them to the pooler.
type projects struct {
	*tenant.Projects
	*tenant.Connections
}

func newProjects(m *tenant.Manager) projects { return projects{m.Projects(), m.Connections()} }

// env is a tenant manager on the test server with the pooler in front.
type env struct {
	m     *tenant.Manager
	w     *pgwire.Server
	addr  string
	admin string // superuser URL of the test database
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// boot starts a control plane, a tenant manager (as internal/tenant's
// tests do) and the pooler on a random loopback port.
func boot(t *testing.T) *env {
	t.Helper()
	db := pgtest.NewDB(t)
	srv := pgtest.Server(db.ConnString)
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: db.Name, Keys: keys}, discard())
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	m := tenant.New(tenant.Config{Keys: keys, DefaultDatabase: db.Name + "_default", DefaultLoginRole: db.Name + "_login", DumpDir: t.TempDir()}, cp, srv, "", discard())
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Stop(context.Background())
		dropDatabases(t, db, db.Name+"_default")
	})
	w := pgwire.New(pgwire.Config{Listen: "127.0.0.1:0"}, newProjects(m), discard())
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	addr, err := w.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return &env{m: m, w: w, addr: addr, admin: db.ConnString}
}

func dropDatabases(t *testing.T, db *pgtest.DB, names ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), pgtest.WithDatabase(db.ConnString, "postgres"))
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close(context.Background())
	for _, n := range names {
		if _, err := conn.Exec(context.Background(), "drop database if exists "+pgx.Identifier{n}.Sanitize()+" with (force)"); err != nil {
			t.Error(err)
		}
	}
}

// project creates a project with a unique ref, a table t, and the given
// connection limit (0: default); it is deleted when the test ends.
func (e *env) project(t *testing.T, maxConns int) *tenant.Project {
	t.Helper()
	r, err := tenant.NewRef()
	if err != nil {
		t.Fatal(err)
	}
	ref := "w" + r[:10]
	ctx := t.Context()
	p, err := e.m.Create(ctx, tenant.CreateOptions{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := e.m.Delete(context.Background(), ref, tenant.DeleteOptions{NoDump: true}); err != nil {
			t.Errorf("deleting project %s: %v", ref, err)
		}
	})
	if maxConns > 0 {
		if err := e.m.Quotas().SetLimits(ctx, ref, tenant.Limits{MaxConnections: maxConns}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := pgx.Connect(ctx, pgtest.WithDatabase(e.admin, p.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "create table t (id serial primary key, v text); grant all on t, t_id_seq to anon, authenticated, service_role"); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) url(user, password, ref string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: e.addr, Path: "/" + ref}
	return u.String() + "?sslmode=disable&default_query_exec_mode=exec"
}

// connect opens a pgx connection through the pooler, closed at cleanup.
func (e *env) connect(t *testing.T, user, password, ref string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), e.url(user, password, ref))
	if err != nil {
		t.Fatalf("connecting as %s to %s: %v", user, ref, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func queryString(t *testing.T, c *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := c.QueryRow(t.Context(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// waitFor polls a boolean query as superuser until it is true.
func (e *env) waitFor(t *testing.T, sql string, args ...any) {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), e.admin)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		var ok bool
		if err := admin.QueryRow(t.Context(), sql, args...).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("still false after 30s: %s", sql)
		}
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestPooler(t *testing.T) {
	e := boot(t)
	a := e.project(t, 0)
	b := e.project(t, 0)

	t.Run("queries", func(t *testing.T) {
		t.Parallel()
		for _, p := range []*tenant.Project{a, b} {
			c := e.connect(t, "postgres", p.ServiceKey, p.Ref)
			ctx := t.Context()
			if got := queryString(t, c, "select current_database()"); got != p.Database {
				t.Errorf("current_database() = %q, want %q", got, p.Database)
			}
			if got := queryString(t, c, "select current_user"); got != "service_role" {
				t.Errorf("current_user = %q, want service_role", got)
			}
			// Extended protocol with parameters.
			var sum int
			var txt string
			if err := c.QueryRow(ctx, "select $1::int + $2::int, $3::text", 40, 2, "héllo").Scan(&sum, &txt); err != nil || sum != 42 || txt != "héllo" {
				t.Errorf("params: %d %q %v", sum, txt, err)
			}
			// Simple protocol, several statements in one query.
			if _, err := c.Exec(ctx, "insert into t (v) values ('x'); insert into t (v) values ('y')", pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.QueryRow(ctx, "select count(*) from t where v = any($1)", []string{"x", "y"}).Scan(&n); err != nil || n != 2 {
				t.Errorf("count = %d, %v", n, err)
			}
		}
	})

	t.Run("transactions", func(t *testing.T) {
		t.Parallel()
		c := e.connect(t, "service_role", a.ServiceKey, a.Ref)
		ctx := t.Context()
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pid1 := queryString(t, tx.Conn(), "select pg_backend_pid()::text")
		if _, err := tx.Exec(ctx, "insert into t (v) values ($1)", "committed"); err != nil {
			t.Fatal(err)
		}
		// The whole transaction runs on one server connection.
		if pid2 := queryString(t, tx.Conn(), "select pg_backend_pid()::text"); pid2 != pid1 {
			t.Errorf("transaction moved from backend %s to %s", pid1, pid2)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}

		tx, err = c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "insert into t (v) values ($1)", "rolled back"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// An error inside a transaction aborts it, and ROLLBACK ends it.
		if _, err := c.Exec(ctx, "begin; select 1/0", pgx.QueryExecModeSimpleProtocol); pgCode(err) != "22012" {
			t.Errorf("1/0 = %v", err)
		}
		if _, err := c.Exec(ctx, "select 1"); pgCode(err) != "25P02" {
			t.Errorf("statement in an aborted transaction = %v, want 25P02", err)
		}
		if _, err := c.Exec(ctx, "rollback"); err != nil {
			t.Fatal(err)
		}
		var got []string
		rows, _ := c.Query(ctx, "select v from t where v in ('committed', 'rolled back') order by id")
		got, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(got) != 1 || got[0] != "committed" {
			t.Errorf("rows = %q, %v", got, err)
		}
	})

	t.Run("batches and pipelines", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 1)
		ctx := t.Context()
		for _, mode := range []string{"exec", "cache_statement"} {
			u := strings.Replace(e.url("postgres", p.ServiceKey, p.Ref), "default_query_exec_mode=exec", "default_query_exec_mode="+mode, 1)
			c, err := pgx.Connect(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			for range 2 {
				b := &pgx.Batch{}
				b.Queue("select $1::int", 1)
				b.Queue("select $1::int / 0", 2) // fails: the rest of the batch is skipped
				b.Queue("select $1::int", 3)
				br := c.SendBatch(ctx, b)
				var n int
				if err := br.QueryRow().Scan(&n); err != nil || n != 1 {
					t.Errorf("%s: first = %d, %v", mode, n, err)
				}
				if err := br.QueryRow().Scan(&n); pgCode(err) != "22012" {
					t.Errorf("%s: second = %v", mode, err)
				}
				if err := br.Close(); err == nil {
					t.Errorf("%s: batch error lost", mode)
				}
				if got := queryString(t, c, "select $1::text", "after"); got != "after" {
					t.Errorf("%s: %q", mode, got)
				}
			}
			// A pipeline of several syncs, sent before any result is read.
			pl := c.PgConn().StartPipeline(ctx)
			for i := range 3 {
				pl.SendQueryParams("select $1::text", [][]byte{[]byte(fmt.Sprint(i))}, nil, nil, nil)
				if err := pl.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			if err := pl.Flush(); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				res, err := pl.GetResults()
				if err != nil {
					t.Fatal(err)
				}
				rr, ok := res.(*pgconn.ResultReader)
				if !ok {
					t.Fatalf("%s: result %d is %T", mode, i, res)
				}
				r := rr.Read()
				if r.Err != nil || len(r.Rows) != 1 || string(r.Rows[0][0]) != fmt.Sprint(i) {
					t.Errorf("%s: pipeline result %d = %v %v", mode, i, r.Rows, r.Err)
				}
				if _, err := pl.GetResults(); err != nil { // the sync
					t.Fatal(err)
				}
			}
			if err := pl.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("roles", func(t *testing.T) {
		t.Parallel()
		for user, want := range map[string]string{"postgres": "service_role", a.Ref: "service_role", "anon": "anon", "authenticated": "authenticated"} {
			c := e.connect(t, user, a.ServiceKey, a.Ref)
			if got := queryString(t, c, "select current_user"); got != want {
				t.Errorf("user %s: current_user = %q, want %q", user, got, want)
			}
		}
	})

	t.Run("sslmode prefer falls back to plaintext", func(t *testing.T) {
		t.Parallel()
		c, err := pgx.Connect(t.Context(), strings.Replace(e.url("postgres", a.ServiceKey, a.Ref), "sslmode=disable", "sslmode=prefer", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if got := queryString(t, c, "select 'plain'"); got != "plain" {
			t.Error(got)
		}
	})

	t.Run("isolation", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		tests := []struct {
			name, user, password, ref, code string
		}{
			{"other project's key", "postgres", a.ServiceKey, b.Ref, "28P01"},
			{"anon key", "postgres", a.AnonKey, a.Ref, "28P01"},
			{"wrong password", "postgres", "nope", a.Ref, "28P01"},
			{"unknown project", "postgres", a.ServiceKey, "nosuchproject", "3D000"},
			{"unknown role", "authenticator", a.ServiceKey, a.Ref, "28000"},
		}
		for _, tt := range tests {
			c, err := pgx.Connect(ctx, e.url(tt.user, tt.password, tt.ref))
			if err == nil {
				_ = c.Close(ctx)
			}
			if pgCode(err) != tt.code {
				t.Errorf("%s: err = %v, want SQLSTATE %s", tt.name, err, tt.code)
			}
		}
	})

	t.Run("many clients share two connections", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 2)
		const clients, rounds = 20, 5
		var (
			mu   sync.Mutex
			pids = map[string]bool{}
			wg   sync.WaitGroup
		)
		errs := make(chan error, clients)
		for i := range clients {
			wg.Go(func() {
				c, err := pgx.Connect(t.Context(), e.url("postgres", p.ServiceKey, p.Ref))
				if err != nil {
					errs <- err
					return
				}
				defer c.Close(context.Background())
				for j := range rounds {
					err := pgx.BeginFunc(t.Context(), c, func(tx pgx.Tx) error {
						var pid string
						if err := tx.QueryRow(t.Context(), "select pg_backend_pid()::text").Scan(&pid); err != nil {
							return err
						}
						mu.Lock()
						pids[pid] = true
						mu.Unlock()
						_, err := tx.Exec(t.Context(), "insert into t (v) values ($1)", fmt.Sprintf("c%d-%d", i, j))
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(pids) > 2 {
			t.Errorf("%d server connections used, want at most 2", len(pids))
		}
		c := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if n := queryString(t, c, "select count(*)::text from t"); n != fmt.Sprint(clients*rounds) {
			t.Errorf("%s rows, want %d", n, clients*rounds)
		}
	})

	t.Run("client killed mid-transaction", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 1) // one server connection: the next client gets the same one
		ctx := t.Context()
		c1 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		pid := queryString(t, c1, "select pg_backend_pid()::text")
		if _, err := c1.Exec(ctx, "begin; insert into t (v) values ('lost'); set role anon; set application_name = 'dirty'", pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
		// Kill the client: its TCP connection drops without a Terminate.
		if err := c1.PgConn().Conn().Close(); err != nil {
			t.Fatal(err)
		}

		c2 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		var (
			pid2, user, app string
			fresh           bool
			n               int
		)
		err := c2.QueryRow(ctx, `select pg_backend_pid()::text, current_user, current_setting('application_name'),
			now() = statement_timestamp() and pg_current_xact_id_if_assigned() is null,
			(select count(*) from t where v = 'lost')`, pgx.QueryExecModeSimpleProtocol).Scan(&pid2, &user, &app, &fresh, &n)
		if err != nil {
			t.Fatal(err)
		}
		if pid2 != pid {
			t.Fatalf("backend %s, want %s (the same pooled connection)", pid2, pid)
		}
		if !fresh || n != 0 || user != "service_role" || app != "mobo pgwire "+p.Ref {
			t.Errorf("next client sees transaction fresh=%v, lost rows=%d, user %q, application_name %q", fresh, n, user, app)
		}
	})

	t.Run("client killed mid-statement", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 1)
		ctx := t.Context()
		c1 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		errc := make(chan error, 1)
		go func() {
			_, err := c1.Exec(ctx, "select pg_sleep(300)")
			errc <- err
		}()
		e.waitFor(t, "select count(*) = 1 from pg_stat_activity where datname = $1 and query = 'select pg_sleep(300)' and state = 'active'", p.Database)
		if err := c1.PgConn().Conn().Close(); err != nil {
			t.Fatal(err)
		}
		<-errc
		// The statement is canceled and the pool's only connection slot is free again.
		e.waitFor(t, "select count(*) = 0 from pg_stat_activity where datname = $1 and query = 'select pg_sleep(300)' and state = 'active'", p.Database)
		c2 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if got := queryString(t, c2, "select 'next'"); got != "next" {
			t.Error(got)
		}
	})

	t.Run("session state is reset", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 1)
		ctx := t.Context()
		c1 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if _, err := c1.Exec(ctx, "set role anon"); err != nil {
			t.Fatal(err)
		}
		c2 := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if got := queryString(t, c2, "select current_user"); got != "service_role" {
			t.Errorf("current_user after another client's SET ROLE = %q", got)
		}
	})

	t.Run("listen is rejected", func(t *testing.T) {
		t.Parallel()
		c := e.connect(t, "postgres", a.ServiceKey, a.Ref)
		ctx := t.Context()
		for _, sql := range []string{"listen x", "select 1; /* ; */ LISTEN \"x\""} {
			_, err := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, "LISTEN") || pe.Where != "" {
				t.Errorf("%s: %v", sql, err)
			}
		}
		if _, err := c.Exec(ctx, "listen x"); pgCode(err) != "0A000" { // extended protocol
			t.Errorf("listen (extended) = %v", err)
		}
		if got := queryString(t, c, "select 'still usable'"); got != "still usable" {
			t.Error(got)
		}
	})

	t.Run("pause", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 0)
		ctx := t.Context()
		c := e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if got := queryString(t, c, "select 'up'"); got != "up" {
			t.Fatal(got)
		}
		if err := e.m.Pause(ctx, p.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "select 1"); pgCode(err) != "57P03" {
			t.Errorf("query after pause = %v, want 57P03", err)
		}
		if _, err := pgx.Connect(ctx, e.url("postgres", p.ServiceKey, p.Ref)); pgCode(err) != "57P03" {
			t.Errorf("connect after pause = %v, want 57P03", err)
		}
		if err := e.m.Resume(ctx, p.Ref); err != nil {
			t.Fatal(err)
		}
		c = e.connect(t, "postgres", p.ServiceKey, p.Ref)
		if got := queryString(t, c, "select 'up again'"); got != "up again" {
			t.Error(got)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		c := e.connect(t, "postgres", a.ServiceKey, a.Ref)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := c.Exec(ctx, "select pg_sleep(60)")
			errc <- err
		}()
		// Wait until the statement runs upstream, then cancel through the pooler.
		e.waitFor(t, "select count(*) = 1 from pg_stat_activity where datname = $1 and query = 'select pg_sleep(60)' and state = 'active'", a.Database)
		if err := c.PgConn().CancelRequest(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; pgCode(err) != "57014" {
			t.Errorf("canceled statement = %v, want 57014", err)
		}
		cancel()
	})

	t.Run("copy", func(t *testing.T) {
		t.Parallel()
		c := e.connect(t, "postgres", b.ServiceKey, b.Ref)
		ctx := t.Context()
		n, err := c.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"v"}, pgx.CopyFromRows([][]any{{"copy1"}, {"copy2"}, {"copy3"}}))
		if err != nil || n != 3 {
			t.Fatalf("copy from = %d, %v", n, err)
		}
		var out strings.Builder
		if _, err := c.PgConn().CopyTo(ctx, &out, "copy (select v from t where v like 'copy%' order by id) to stdout"); err != nil {
			t.Fatal(err)
		}
		if out.String() != "copy1\ncopy2\ncopy3\n" {
			t.Errorf("copy to = %q", out.String())
		}
	})

	t.Run("prepared statements across transactions", func(t *testing.T) {
		t.Parallel()
		p := e.project(t, 1) // every client shares one server connection
		ctx := t.Context()
		var conns []*pgx.Conn
		for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
			u := strings.Replace(e.url("postgres", p.ServiceKey, p.Ref), "default_query_exec_mode=exec", "default_query_exec_mode="+mode, 1)
			c, err := pgx.Connect(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			conns = append(conns, c)
		}
		// Interleave the clients so each statement meets the server
		// connection in a state another client left it in.
		for i := range 4 {
			for j, c := range conns {
				var n int
				if err := c.QueryRow(ctx, "select $1::int * 2 + $2::int", i, j).Scan(&n); err != nil || n != i*2+j {
					t.Fatalf("client %d round %d: %d, %v", j, i, n, err)
				}
				err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, "insert into t (v) values ($1)", fmt.Sprint(i, j))
					return err
				})
				if err != nil {
					t.Fatalf("client %d round %d: %v", j, i, err)
				}
			}
		}
		// Named statements do not stay behind on the server connection.
		c := conns[3] // exec mode: prepares nothing itself
		if n := queryString(t, c, "select count(*)::text from pg_prepared_statements"); n != "0" {
			t.Errorf("%s prepared statements left on the server connection", n)
		}
	})

	t.Run("psql", func(t *testing.T) {
		t.Parallel()
		psql, err := exec.LookPath("psql")
		if err != nil {
			t.Skip("psql not installed")
		}
		u := url.URL{Scheme: "postgres", User: url.UserPassword("postgres", b.ServiceKey), Host: e.addr, Path: "/" + b.Ref}
		run := func(stdin string, args ...string) string {
			t.Helper()
			cmd := exec.CommandContext(t.Context(), psql, append([]string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", u.String()}, args...)...)
			cmd.Stdin = strings.NewReader(stdin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("psql %v: %v\n%s", args, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		if got := run("", "-c", "select 1"); got != "1" {
			t.Errorf("psql -c 'select 1' = %q", got)
		}
		script := `begin;
insert into t (v) values ('psql1');
insert into t (v) values ('psql2');
commit;
begin;
insert into t (v) values ('psql3');
rollback;
select string_agg(v, ',' order by id) from t where v like 'psql%';
`
		if got := run(script, "-f", "-"); got != "psql1,psql2" {
			t.Errorf("script output %q", got)
		}
	})
}

// TestStopEndsSessions checks that Stop closes clients and returns.
func TestStopEndsSessions(t *testing.T) {
	t.Parallel()
	e := boot(t)
	p, err := e.m.Projects().Project(tenant.DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	_ = e.connect(t, "postgres", p.ServiceKey, p.Ref)
	w := pgwire.New(pgwire.Config{Listen: "127.0.0.1:0"}, newProjects(e.m), discard())
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr, _ := w.Addr()
	c, err := pgx.Connect(t.Context(), fmt.Sprintf("postgres://postgres:%s@%s/%s?sslmode=disable", url.QueryEscape(p.ServiceKey), addr, p.Ref))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(t.Context(), "begin"); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(t.Context()); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := c.Exec(t.Context(), "select 1"); err == nil {
		t.Error("session survived Stop")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after Stop")
	}
}

// TestRotatedKeyEndsSessions: once a project's keys are rotated, the
// change hook ends the sessions that logged in with the old service_role
// key, the old key no longer logs in, and the new one does; sessions of
// other projects stay.
func TestRotatedKeyEndsSessions(t *testing.T) {
	t.Parallel()
	e := boot(t)
	p := e.project(t, 0)
	other, err := e.m.Projects().Project(tenant.DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	old := e.connect(t, "postgres", p.ServiceKey, p.Ref)
	bystander := e.connect(t, "postgres", other.ServiceKey, other.Ref)
	if _, err := old.Exec(t.Context(), "select 1"); err != nil {
		t.Fatal(err)
	}
	np, err := e.m.RotateKeys(t.Context(), p.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.w.ProjectChanged(t.Context(), p.Ref); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(t.Context(), "select 1"); err == nil {
		t.Error("a session of the rotated key still runs queries")
	}
	if _, err := bystander.Exec(t.Context(), "select 1"); err != nil {
		t.Errorf("another project's session ended: %v", err)
	}
	if c, err := pgx.Connect(t.Context(), e.url("postgres", p.ServiceKey, p.Ref)); err == nil {
		c.Close(context.Background())
		t.Error("the old key still logs in")
	}
	fresh := e.connect(t, "postgres", np.ServiceKey, p.Ref)
	if got := queryString(t, fresh, "select current_user::text"); got != "service_role" {
		t.Errorf("with the new key: current_user %q", got)
	}
	// A change that is not a rotation leaves the sessions alone.
	if err := e.w.ProjectChanged(t.Context(), p.Ref); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Exec(t.Context(), "select 1"); err != nil {
		t.Errorf("a session of the current key ended: %v", err)
	}
}

var _ pgwire.Projects = projects{}
