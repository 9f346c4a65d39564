package schemacache

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// pools serves one pool for every project, or fails with err.
type pools struct {
	pool *pgxpool.Pool
	err  error
}

func (p pools) Pool(context.Context, string) (*pgxpool.Pool, error) { return p.pool, p.err }

// exposed is a settable list of exposed schemas.
type exposed struct {
	mu      sync.Mutex
	schemas []string
	asked   int
}

func (e *exposed) set(s ...string) { e.mu.Lock(); e.schemas = s; e.mu.Unlock() }

func (e *exposed) get(context.Context, string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked++
	return slices.Clone(e.schemas), nil
}

func start(t *testing.T, o Options) *Store {
	t.Helper()
	s := New(o)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

// next waits for the load after ch was taken, or fails.
func next(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal("no reload")
	}
}

func snapshot(t *testing.T, s *Store, ref string) *catalog.Snapshot {
	t.Helper()
	snap, err := s.Snapshot(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestNotifyReloads: PostgREST's NOTIFY pgrst, 'reload schema' (or an
// empty payload) brings a new snapshot with what DDL made; requests that
// hold the old snapshot keep it unchanged.
func TestNotifyReloads(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ex := &exposed{schemas: []string{"public"}}
	s := start(t, Options{Pools: pools{pool: db.Pool}, Exposed: ex.get})
	first := snapshot(t, s, "p")
	if first.Ref != "p" || first.Relation("public", "later") != nil {
		t.Fatalf("first snapshot: ref %q, later %v", first.Ref, first.Relation("public", "later"))
	}
	if held, listening := s.State("p"); !held || !listening {
		t.Fatalf("after a use: held %v listening %v", held, listening)
	}
	for i, payload := range []string{"reload schema", ""} {
		ch := s.Reloaded("p")
		if _, err := db.Pool.Exec(t.Context(), "create table later"+string(rune('a'+i))+" (id int)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(t.Context(), "select pg_notify('pgrst', $1)", payload); err != nil {
			t.Fatal(err)
		}
		next(t, ch)
	}
	// The listener's connection may be up before the first DDL: wait for
	// the snapshot that has both tables.
	deadline := time.Now().Add(20 * time.Second)
	for snapshot(t, s, "p").Relation("public", "laterb") == nil {
		if time.Now().After(deadline) {
			t.Fatal("the notified DDL never reached a snapshot")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cur := snapshot(t, s, "p")
	if cur.Version <= first.Version || cur.Relation("public", "latera") == nil {
		t.Errorf("current snapshot: version %d after %d, latera %v", cur.Version, first.Version, cur.Relation("public", "latera"))
	}
	if first.Relation("public", "latera") != nil {
		t.Error("the first snapshot changed")
	}
}

// TestProjectChangedReloadsWithNewSchemas: a project change reloads the
// snapshot for the exposed schemas asked anew.
func TestProjectChangedReloadsWithNewSchemas(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	if _, err := db.Pool.Exec(t.Context(), "create schema api; create table api.things (id int)"); err != nil {
		t.Fatal(err)
	}
	ex := &exposed{schemas: []string{"public"}}
	s := start(t, Options{Pools: pools{pool: db.Pool}, Exposed: ex.get})
	if snap := snapshot(t, s, "p"); snap.Relation("api", "things") != nil {
		t.Fatal("api exposed before it was asked for")
	}
	// A project not loaded here is left alone.
	if err := s.ProjectChanged(t.Context(), "other"); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.State("other"); held {
		t.Error("a change loaded a project nobody used")
	}
	ex.set("api", "public")
	if err := s.ProjectChanged(t.Context(), "p"); err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, s, "p")
	if snap.Relation("api", "things") == nil || !slices.Equal(snap.Schemas(), []string{"api", "public"}) {
		t.Errorf("after the change: schemas %v, api.things %v", snap.Schemas(), snap.Relation("api", "things"))
	}
}

// TestFailedLoadIsNotKept: a project whose database cannot be reached gets
// the error, and a later use tries again.
func TestFailedLoadIsNotKept(t *testing.T) {
	t.Parallel()
	boom := errors.New("no pool")
	ex := &exposed{schemas: []string{"public"}}
	s := start(t, Options{Pools: pools{err: boom}, Exposed: ex.get})
	for range 2 {
		if _, err := s.Snapshot(t.Context(), "p"); !errors.Is(err, boom) {
			t.Fatalf("Snapshot: %v, want %v", err, boom)
		}
		if held, listening := s.State("p"); held || listening {
			t.Fatalf("a failed load left state: held %v listening %v", held, listening)
		}
	}
}

// TestIdleProjectLetsGo: an idle project's listener ends and its snapshot
// is dropped; its next use loads afresh, seeing DDL whose notification
// nobody heard.
func TestIdleProjectLetsGo(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ex := &exposed{schemas: []string{"public"}}
	s := start(t, Options{Pools: pools{pool: db.Pool}, Exposed: ex.get, Idle: 200 * time.Millisecond})
	snapshot(t, s, "p")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if held, listening := s.State("p"); !held && !listening {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle project is still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := db.Pool.Exec(t.Context(), "create table unheard (id int)"); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, s, "p").Relation("public", "unheard") == nil {
		t.Error("the next use did not load afresh")
	}
}

// TestStopEndsListeners: Stop ends every listener and reloader goroutine,
// and a stopped store refuses uses.
func TestStopEndsListeners(t *testing.T) {
	db := pgtest.NewDB(t)
	before := goleak.IgnoreCurrent()
	ex := &exposed{schemas: []string{"public"}}
	s := New(Options{Pools: pools{pool: db.Pool}, Exposed: ex.get})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"a", "b", "c"} {
		snapshot(t, s, ref)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	goleak.VerifyNone(t, before)
	if _, err := s.Snapshot(t.Context(), "a"); err == nil {
		t.Error("a stopped store served a snapshot")
	}
}
