package tenant

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
)

// bootManaged starts a manager in managed mode on the shared test server:
// the control plane lives in a fresh test database, and project databases
// are created beside it (with random refs, so parallel tests do not meet).
func bootManaged(t *testing.T) (*Manager, *pgtest.DB) {
	t.Helper()
	db := pgtest.NewDB(t)
	srv := pgtest.Server(db.ConnString)
	log := discard()
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: db.Name, Keys: keys}, log)
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	m := New(Config{Keys: keys, DefaultDatabase: db.Name + "_default", DefaultLoginRole: db.Name + "_login", DumpDir: t.TempDir()}, cp, srv, "", log)
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Stop(context.Background())
		dropDatabases(t, db, db.Name+"_default")
	})
	return m, db
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

func uniqueRef(t *testing.T) string {
	t.Helper()
	r, err := NewRef()
	if err != nil {
		t.Fatal(err)
	}
	return "t" + r[:10]
}

func TestProjectLifecycle(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	ctx := t.Context()
	ref := uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })

	p, err := m.Create(ctx, CreateOptions{Ref: ref, Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusActive || p.AnonKey == "" || p.Database != "proj_"+ref {
		t.Fatalf("created %+v", p)
	}
	if _, err := m.Create(ctx, CreateOptions{Ref: ref}); !errors.Is(err, ErrProjectExists) {
		t.Errorf("duplicate create = %v", err)
	}
	for _, bad := range []string{"A", "ab", "1abc", "abc-", "a_b_c", strings.Repeat("a", 41), "ab'c"} {
		if _, err := m.Create(ctx, CreateOptions{Ref: bad}); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("ref %q: err = %v, want ErrInvalidRef", bad, err)
		}
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("list has %d projects, want default and %s", len(list), ref)
	}

	// The project's pool logs in as its own role, which cannot reach the
	// default project's database.
	pool, err := m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var user string
	if err := pool.QueryRow(ctx, "select session_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != ref+"_authenticator" {
		t.Errorf("pool user = %q", user)
	}
	other := pool.Config().ConnConfig.Copy()
	other.Database = db.Name + "_default"
	if c, err := pgx.ConnectConfig(ctx, other); err == nil {
		c.Close(ctx)
		t.Error("a project's login role connected to another project's database")
	} else if !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("cross-project connect failed for another reason: %v", err)
	}

	// The owner role logs in to its own database only, creates tables, and
	// its tables are granted to the API roles.
	owner, ownerPW, err := ownerCredentials(ctx, m.cp, m.external != "", ref)
	if err != nil {
		t.Fatal(err)
	}
	oc := pool.Config().ConnConfig.Copy()
	oc.User, oc.Password = owner, ownerPW
	oconn, err := pgx.ConnectConfig(ctx, oc)
	if err != nil {
		t.Fatalf("owner cannot log in: %v", err)
	}
	if _, err := oconn.Exec(ctx, "create table public.notes (id int primary key); insert into notes values (1)"); err != nil {
		t.Fatalf("owner cannot create a table: %v", err)
	}
	oconn.Close(ctx)
	var n int
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "set local role anon"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "select count(*) from notes").Scan(&n)
	})
	if err != nil || n != 1 {
		t.Errorf("anon reading the owner's table: %d rows, %v", n, err)
	}
	oc.Database = db.Name + "_default"
	if c, err := pgx.ConnectConfig(ctx, oc); err == nil {
		c.Close(ctx)
		t.Error("a project's owner connected to another project's database")
	}

	// Pause refuses connections and frees the pool; resume restores them.
	if err := m.Pause(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := m.conns.Pool(ctx, ref); !errors.Is(err, ErrPaused) {
		t.Errorf("Pool of a paused project = %v", err)
	}
	if c, err := pgx.Connect(ctx, pgtest.WithDatabase(db.ConnString, "proj_"+ref)); err == nil {
		c.Close(ctx)
		t.Error("superuser connected to a paused project's database")
	}
	if err := m.Resume(ctx, ref); err != nil {
		t.Fatal(err)
	}
	pool, err = m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename(ctx, ref, "Shop 2"); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.projects.Project(ref); p.Name != "Shop 2" {
		t.Errorf("name = %q", p.Name)
	}

	// Delete keeps a final dump, then removes the database, the role and the row.
	if _, err := pool.Exec(ctx, "select 1"); err != nil {
		t.Fatal(err)
	}
	super, err := pgx.Connect(ctx, pgtest.WithDatabase(db.ConnString, "proj_"+ref))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, "create table public.orders (id int); insert into orders values (42)"); err != nil {
		t.Fatal(err)
	}
	super.Close(ctx)
	dump, err := m.Delete(ctx, ref, DeleteOptions{DumpDir: m.cfg.DumpDir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dump)
	if err != nil || !strings.Contains(string(b), "CREATE TABLE public.orders") || !strings.Contains(string(b), "42") {
		t.Errorf("dump %s lacks the data (%v)", dump, err)
	}
	if _, err := m.projects.Project(ref); !errors.Is(err, ErrNoProject) {
		t.Errorf("project still loaded: %v", err)
	}
	var dbExists, roleExists bool
	if err := db.Pool.QueryRow(ctx, "select exists (select from pg_database where datname = $1), exists (select from pg_roles where rolname = any($2))", "proj_"+ref, []string{ref + "_authenticator", ref + "_owner"}).Scan(&dbExists, &roleExists); err != nil {
		t.Fatal(err)
	}
	if dbExists || roleExists {
		t.Errorf("after delete: database %v, role %v", dbExists, roleExists)
	}
	if _, err := m.Delete(ctx, DefaultRef, DeleteOptions{NoDump: true}); !errors.Is(err, ErrDefaultProject) {
		t.Errorf("deleting default = %v", err)
	}
}

// TestRecoverHalfMadeProjects simulates mobo killed in the middle of a
// creation (row written, database made, nothing else) and of a deletion; the
// next Start finishes both.
func TestRecoverHalfMadeProjects(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	ctx := t.Context()
	half, gone := uniqueRef(t), uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+half, "proj_"+gone) })

	if _, err := m.Create(ctx, CreateOptions{Ref: gone}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Pool.Exec(ctx, `insert into mobo.projects (ref, name, database, status, jwt_secret, anon_key, service_key)
		values ($1, $1, $2, 'creating', 'secretsecretsecretsecretsecretsecret', 'a', 's')`, half, "proj_"+half)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, "create database "+pgx.Identifier{"proj_" + half}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `update mobo.projects set status = 'deleting' where ref = $1`, gone); err != nil {
		t.Fatal(err)
	}

	m2 := New(m.cfg, m.cp, m.srv, "", discard())
	if err := m2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m2.Stop(context.Background()) })
	p, err := m2.projects.Project(half)
	if err != nil || p.Status != StatusActive {
		t.Fatalf("half-made project after restart: %+v %v", p, err)
	}
	pool, err := m2.conns.Pool(ctx, half)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	super, err := pgx.Connect(ctx, pgtest.WithDatabase(db.ConnString, "proj_"+half))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	var hasAuth bool
	if err := super.QueryRow(ctx, "select to_regprocedure('auth.uid()') is not null").Scan(&hasAuth); err != nil || !hasAuth {
		t.Errorf("recovered project lacks its setup (%v)", err)
	}
	if _, err := m2.projects.Project(gone); !errors.Is(err, ErrNoProject) {
		t.Errorf("half-deleted project still there: %v", err)
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx, "select exists (select from pg_database where datname = $1)", "proj_"+gone).Scan(&exists); err != nil || exists {
		t.Errorf("half-deleted project's database remains (%v)", err)
	}
}

func TestSetupHooksRunPerProject(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	srv := pgtest.Server(db.ConnString)
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: db.Name, Keys: keys}, discard())
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	m := New(Config{Keys: keys, DefaultDatabase: db.Name + "_default", DefaultLoginRole: db.Name + "_login"}, cp, srv, "", discard())
	var seen []string
	m.AddSetupHook("test", func(_ context.Context, ref, connString string) error {
		if !strings.Contains(connString, "_default") && ref == DefaultRef {
			return errors.New("wrong database for the default project")
		}
		seen = append(seen, ref)
		return nil
	})
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ref := uniqueRef(t)
	t.Cleanup(func() { _ = m.Stop(context.Background()); dropDatabases(t, db, db.Name+"_default", "proj_"+ref) })
	if _, err := m.Create(t.Context(), CreateOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != DefaultRef || seen[1] != ref {
		t.Errorf("hook ran for %v", seen)
	}
}

func TestTeardownHooksRunBeforeTheDrop(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	ref := uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
	var order []string
	for _, name := range []string{"first", "second"} {
		m.AddTeardownHook(name, func(ctx context.Context, hookRef, connString string) error {
			if hookRef != ref {
				return errors.New("teardown for the wrong project: " + hookRef)
			}
			conn, err := pgx.Connect(ctx, connString) // the database must still be there
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			order = append(order, name)
			return nil
		})
	}
	if _, err := m.Create(t.Context(), CreateOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Delete(t.Context(), ref, DeleteOptions{NoDump: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "second,first" {
		t.Errorf("teardown hooks ran as %v, want second,first", order)
	}
}
