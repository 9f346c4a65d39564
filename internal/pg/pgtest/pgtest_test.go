package pgtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := Run(m)
	// Nothing of pgtest's outlives the tests and the server.
	if err := goleak.Find(); err != nil && code == 0 {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("leaked goroutines", "error", err)
		code = 1
	}
	os.Exit(code)
}

func scalar[T any](t *testing.T, db *DB, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var exists bool
	err := withAdmin(context.Background(), Cluster(t), func(conn *pgx.Conn) error {
		return conn.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	})
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

// dropTemplateAtEnd removes a template made by a test, so that a shared
// server does not collect one per run.
func dropTemplateAtEnd(t *testing.T, name string) {
	t.Cleanup(func() {
		ctx := context.Background()
		err := withAdmin(ctx, Cluster(t), func(conn *pgx.Conn) error {
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE false"); err != nil {
				return err
			}
			_, err := conn.Exec(ctx, "DROP DATABASE "+ident(name))
			return err
		})
		if err != nil {
			t.Errorf("dropping template %s: %v", name, err)
		}
	})
}

const countUserTables = "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"

func TestNewDBIsolated(t *testing.T) {
	t.Parallel()
	a, b := NewDB(t), NewDB(t)
	if a.Name == b.Name {
		t.Fatalf("two databases named %s", a.Name)
	}
	for _, db := range []*DB{a, b} {
		if got := scalar[string](t, db, "SELECT current_database()"); got != db.Name {
			t.Errorf("pool connected to %s, want %s", got, db.Name)
		}
		if n := scalar[int64](t, db, countUserTables); n != 0 {
			t.Errorf("new database %s has %d relations in public", db.Name, n)
		}
	}
	if _, err := a.Pool.Exec(context.Background(), "CREATE TABLE only_in_a (v int)"); err != nil {
		t.Fatal(err)
	}
	if visible := scalar[bool](t, b, "SELECT to_regclass('public.only_in_a') IS NOT NULL"); visible {
		t.Error("a table of one database is visible in the other")
	}

	conn, err := pgx.Connect(context.Background(), a.ConnString)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil || name != a.Name {
		t.Errorf("ConnString leads to %q (%v), want %s", name, err, a.Name)
	}
}

func TestNewDBDroppedAfterTest(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("user", func(t *testing.T) {
		db := NewDB(t)
		name = db.Name
		// A session left open must not keep the database from being dropped.
		if _, err := db.Pool.Exec(context.Background(), "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	})
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after its test", name)
	}
}

func TestTemplateBuiltOnce(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	version := randomHex(4) // a fresh template on a shared server too
	opt := Template("built once", version, func(ctx context.Context, conn *pgx.Conn) error {
		runs.Add(1)
		_, err := conn.Exec(ctx, "CREATE TABLE seeded (v text); INSERT INTO seeded VALUES ('from template')")
		return err
	})
	dbName := templateDBName("built once", version)
	dropTemplateAtEnd(t, dbName)

	check := func(t *testing.T) {
		db := NewDB(t, opt)
		if got := scalar[string](t, db, "SELECT v FROM seeded"); got != "from template" {
			t.Errorf("seeded row = %q", got)
		}
		// Each clone is its own: a change stays in it.
		if _, err := db.Pool.Exec(context.Background(), "INSERT INTO seeded VALUES ('mine')"); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				check(t)
			})
		}
	})
	if n := runs.Load(); n != 1 {
		t.Fatalf("setup ran %d times, want 1", n)
	}

	// Another test binary on the same server finds the template built.
	templates.mu.Lock()
	delete(templates.states, dbName)
	templates.mu.Unlock()
	t.Run("other binary", check)
	if n := runs.Load(); n != 1 {
		t.Errorf("setup ran %d times after the cache was cleared, want 1", n)
	}
}

func TestTemplateConcurrentBuilders(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tpl := &template{name: "concurrent", version: randomHex(4)}
	tpl.dbName = templateDBName(tpl.name, tpl.version)
	tpl.setup = func(ctx context.Context, conn *pgx.Conn) error {
		runs.Add(1)
		_, err := conn.Exec(ctx, "CREATE TABLE t (v int)")
		return err
	}
	adminURL := Cluster(t)
	dropTemplateAtEnd(t, tpl.dbName)

	// As if four test binaries asked at once: no process-wide cache.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = buildTemplate(ctx, adminURL, tpl) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("setup ran %d times, want 1", n)
	}
	if databaseExists(t, tpl.dbName+"_b") {
		t.Error("build database left behind")
	}
}

func TestTemplateSetupFails(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tpl := &template{name: "fails", version: randomHex(4), setup: func(ctx context.Context, conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, "CREATE TABLE half (v int)"); err != nil {
			return err
		}
		return boom
	}}
	tpl.dbName = templateDBName(tpl.name, tpl.version)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ensureTemplate(ctx, Cluster(t), tpl); !errors.Is(err, boom) {
		t.Fatalf("ensureTemplate = %v, want %v", err, boom)
	}
	for _, name := range []string{tpl.dbName, tpl.dbName + "_b"} {
		if databaseExists(t, name) {
			t.Errorf("database %s exists after a failed setup", name)
		}
	}
}

func TestTemplateDBName(t *testing.T) {
	t.Parallel()
	long := templateDBName("A very long template name, with punctuation: and more and more", "v1")
	if len(long+"_b") > 63 {
		t.Errorf("%q is too long for a build name", long)
	}
	if templateDBName("x", "1") == templateDBName("x", "2") {
		t.Error("versions share a template name")
	}
	if got := templateDBName("Auth Schema", "1"); !strings.HasPrefix(got, "tpl_auth_schema_") {
		t.Errorf("templateDBName = %q, want a readable prefix", got)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:p@localhost:5432/postgres?sslmode=disable", "postgres://u:p@localhost:5432/t_1?sslmode=disable"},
		{"postgresql://u@/postgres?host=%2Ftmp%2Frun&port=5", "postgresql://u@/t_1?host=%2Ftmp%2Frun&port=5"},
		{"postgres://u@h/postgres?dbname=postgres", "postgres://u@h/t_1"},
		{"host=/tmp port=5432 dbname=postgres", "host=/tmp port=5432 dbname=postgres dbname='t_1'"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, WithDatabase(tt.in, "t_1")); diff != "" {
			t.Errorf("WithDatabase(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
