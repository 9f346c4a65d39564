package tenant

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// budgeted boots a manager with a second project (ref) and a budget of n
// connections for all project pools, whose pools are closed.
func budgeted(t *testing.T, n int) (m *Manager, ref string) {
	t.Helper()
	m, db := bootManaged(t)
	ref = uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
	if _, err := m.Create(t.Context(), CreateOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	m.conns.budget = newBudget(n)
	m.conns.budget.steal = m.conns.stealIdle
	m.conns.closePool(DefaultRef)
	m.conns.closePool(ref)
	return m, ref
}

func TestConnectionBudgetIsShared(t *testing.T) {
	t.Parallel()
	m, ref := budgeted(t, 2)
	ctx := t.Context()

	a, err := m.conns.Pool(ctx, DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	held := make([]*pgxpool.Conn, 2)
	for i := range held {
		if held[i], err = a.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if total := m.conns.Stats().Held; total != 2 {
		t.Errorf("budget in use = %d, want 2", total)
	}
	// The budget is spent and nothing is idle: another project must wait.
	b, err := m.conns.Pool(ctx, ref)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err = b.Acquire(wctx)
		cancel()
	}
	if err == nil {
		t.Fatal("a third connection opened beyond the budget")
	}
	// An idle connection of the first project is reclaimed for the second.
	held[1].Release()
	held[1] = nil
	if b == nil {
		if b, err = m.conns.Pool(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.Acquire(ctx)
	if err != nil {
		t.Fatalf("reclaiming an idle connection: %v", err)
	}
	c.Release()
	held[0].Release()
	if total := m.conns.Stats().Held; total > 2 {
		t.Errorf("budget in use = %d, want at most 2", total)
	}
}

// TestTrackedPoolsYieldIdleConnections: the idle connections of a pool
// another component made from PoolConfig (the wire pooler's) are reclaimed
// for a project that needs a connection once the pool is tracked.
func TestTrackedPoolsYieldIdleConnections(t *testing.T) {
	t.Parallel()
	m, ref := budgeted(t, 1)
	ctx := t.Context()

	cfg, err := m.conns.PoolConfig(ctx, DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	c, err := ext.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Release() // idle, holding the budget's only slot
	pool, err := m.conns.Pool(ctx, ref)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		var c *pgxpool.Conn
		if c, err = pool.Acquire(wctx); err == nil {
			c.Release()
		}
		cancel()
	}
	if err == nil {
		t.Fatal("a connection opened beyond the budget while an untracked pool held it")
	}
	untrack := m.conns.TrackPool(ext)
	defer untrack()
	if pool == nil {
		if pool, err = m.conns.Pool(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	c, err = pool.Acquire(ctx)
	if err != nil {
		t.Fatalf("reclaiming the tracked pool's idle connection: %v", err)
	}
	c.Release()
	if n := ext.Stat().TotalConns(); n != 0 {
		t.Errorf("the tracked pool still holds %d connections", n)
	}
	if got := m.conns.budget.InUse(); got != 1 {
		t.Errorf("budget in use = %d, want 1", got)
	}
}

func TestIdlePoolsAreReaped(t *testing.T) {
	t.Parallel()
	m, db := bootManaged(t)
	m.conns.cfg.PoolIdleTimeout = 200 * time.Millisecond
	ctx := t.Context()
	refs := []string{uniqueRef(t), uniqueRef(t), uniqueRef(t)}
	for _, ref := range refs {
		t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
		if _, err := m.Create(ctx, CreateOptions{Ref: ref}); err != nil {
			t.Fatal(err)
		}
		pool, err := m.conns.Pool(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "select 1"); err != nil {
			t.Fatal(err)
		}
		if pool.Stat().TotalConns() == 0 {
			t.Fatalf("project %s holds no connection right after a query", ref)
		}
	}
	// Idle projects end up holding no connection at all.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := m.conns.Stats()
		per, total := st.Projects, st.Held
		held := int32(0)
		for _, ref := range refs {
			held += per[ref]
		}
		if held == 0 {
			if total > len(per) { // the budget gave back what the pools closed (the default project's pool may still hold one)
				t.Errorf("budget in use %d after reaping, pools %v", total, per)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle pools still hold %d connections: %v", held, per)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Long-lived connections (schema listeners) count against the budget and
// give way to pool connections when it runs short, the project idle the
// longest first; pausing a project takes back everything it holds.
func TestLongLivedConnectionsYieldToPools(t *testing.T) {
	t.Parallel()
	m, ref := budgeted(t, 2)
	ctx := t.Context()

	// listener opens a real connection to project r under a hold whose
	// stop closes it, as the REST schema listener does.
	type listener struct {
		stopped chan struct{}
		release func()
	}
	listen := func(r string, lastUsed time.Time) *listener {
		t.Helper()
		p, err := m.projects.Project(r)
		if err != nil {
			t.Fatal(err)
		}
		l := &listener{stopped: make(chan struct{})}
		var conn *pgx.Conn
		stop := func() {
			_ = conn.Close(context.Background())
			close(l.stopped)
			l.release()
		}
		if l.release, err = m.conns.HoldConnection(ctx, r, func() time.Time { return lastUsed }, stop); err != nil {
			t.Fatal(err)
		}
		if conn, err = pgx.Connect(ctx, m.srv.ConnString(p.Database)); err != nil {
			t.Fatal(err)
		}
		return l
	}
	old := listen(DefaultRef, time.Now().Add(-time.Hour))
	recent := listen(ref, time.Now())
	if st := m.conns.Stats(); st.Held != 2 || st.Projects[DefaultRef] != 1 || st.Projects[ref] != 1 {
		t.Fatalf("budget in use %d, per project %v; want 2, one each", st.Held, st.Projects)
	}
	// The budget is full of listeners: a pool connection takes the slot of
	// the listener idle the longest.
	svc, err := m.conns.ServicePool(ctx, ref)
	if err != nil {
		t.Fatalf("opening a pool with the budget full of listeners: %v", err)
	}
	select {
	case <-old.stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the idle project's listener was not asked to let go")
	}
	select {
	case <-recent.stopped:
		t.Fatal("the listener of the project used last was stopped")
	default:
	}
	var owner string
	if err := svc.QueryRow(ctx, "select current_user").Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if per := m.conns.Stats().Projects; per[ref] != 2 || per[DefaultRef] != 0 {
		t.Errorf("per project %v; want %s: 2 (service pool + listener), %s: 0", per, ref, DefaultRef)
	}
	// Pausing the project frees its pools and its listener at once.
	if err := m.Pause(ctx, ref); err != nil {
		t.Fatal(err)
	}
	select {
	case <-recent.stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("pausing the project did not stop its listener")
	}
	if st := m.conns.Stats(); st.Projects[ref] != 0 || st.Held != 0 {
		t.Errorf("after pause: per project %v, budget in use %d; want nothing held", st.Projects, st.Held)
	}
	if _, err := m.conns.HoldConnection(ctx, ref, time.Now, func() {}); !errors.Is(err, ErrPaused) {
		t.Errorf("holding a connection to a paused project: %v, want ErrPaused", err)
	}
}

// TestConnectionBudgetNeverLeaks: a slot is given back on every path a
// connection can take: a dial that fails (PostgreSQL unreachable), a
// start-up that fails after the dial (refused login), a connection a
// backend crash ends, and a pool closed.
func TestConnectionBudgetNeverLeaks(t *testing.T) {
	t.Parallel()
	m, ref := budgeted(t, 3)
	ctx := t.Context()
	inUse := func() int { return m.conns.Stats().Held }
	waitInUse := func(want int, why string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); inUse() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: budget in use = %d, want %d", why, inUse(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	try := func(mutate func(*pgxpool.Config)) {
		t.Helper()
		cfg, err := m.conns.PoolConfig(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		mutate(cfg)
		p, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for range 10 { // more attempts than slots: a leak would exhaust the budget
			if c, err := p.Acquire(ctx); err == nil {
				c.Release()
				t.Fatal("a connection that should fail succeeded")
			}
		}
	}
	try(func(cfg *pgxpool.Config) { cfg.ConnConfig.Port = closedPort(t) })
	waitInUse(0, "after failed dials")
	try(func(cfg *pgxpool.Config) { cfg.ConnConfig.Password = "wrong" })
	waitInUse(0, "after refused logins")

	// A backend that dies takes its slot with it.
	pool, err := m.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := c.QueryRow(ctx, "select pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if inUse() != 1 {
		t.Fatalf("budget in use = %d with one connection open", inUse())
	}
	super, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(context.Background())
	if _, err := super.Exec(ctx, "select pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_ = c.Ping(ctx) // finds the connection dead
	c.Release()
	waitInUse(0, "after a backend was terminated")
	for range 5 { // and the slots are there for new connections
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatalf("after the crash: %v", err)
		}
		c.Release()
	}
	conns := make([]*pgxpool.Conn, 3)
	for i := range conns {
		if conns[i], err = pool.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Release()
	}
	budgetAgrees(t, m, super, 3)
	// After PostgreSQL restarted, Reset drops every connection: their
	// slots come back and the next request opens a new one.
	m.Reset(ctx)
	waitInUse(0, "after a reset")
	budgetAgrees(t, m, super, 0)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("after a reset: %v", err)
	}
	budgetAgrees(t, m, super, 1)
	m.conns.closePool(ref)
	waitInUse(0, "after the pool closed")
}

// budgetAgrees checks the budget's invariant, with no connection changing
// state: the slots held are the pool connections open (and holds), and
// PostgreSQL serves exactly as many client backends to the pools. A backend
// whose client closed its connection leaves pg_stat_activity a moment
// later, so PostgreSQL's count is read until it agrees (for up to 10 s).
func budgetAgrees(t *testing.T, m *Manager, super *pgx.Conn, want int) {
	t.Helper()
	st := m.conns.Stats()
	if st.Held != st.Open+st.Dialing+st.Holds || st.Open != want {
		t.Errorf("budget %+v; want held = open + dialing + holds, open = %d", st, want)
	}
	// The pools' backends: their application names on this manager's
	// databases (other tests' managers have a "default" project too).
	var names, dbs []string
	for _, ref := range m.projects.Refs() {
		p, err := m.projects.Project(ref)
		if err != nil {
			t.Fatal(err)
		}
		names, dbs = append(names, "mobo api "+ref, "mobo service "+ref), append(dbs, p.Database, p.Database)
	}
	var backends int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := super.QueryRow(t.Context(), `select count(*) from pg_stat_activity
			where backend_type = 'client backend' and (application_name, datname) in (select * from unnest($1::text[], $2::text[]))`,
			names, dbs).Scan(&backends)
		if err != nil {
			t.Fatal(err)
		}
		if backends == st.Open || time.Now().After(deadline) {
			break
		}
	}
	if backends != st.Open {
		t.Errorf("budget %+v, %d backends in PostgreSQL; want as many backends as connections open", st, backends)
	}
}

// closedPort returns a TCP port nothing listens on.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return uint16(port)
}

// TestReadyTellsOfASpentBudget: the node is ready while connections can be
// had; for a second after a request waited the connection budget out it is
// not, and then it is again.
func TestReadyTellsOfASpentBudget(t *testing.T) {
	t.Parallel()
	m, ref := budgeted(t, 1)
	ctx := t.Context()
	if err := m.Ready(ctx); err != nil {
		t.Fatalf("ready with the budget free: %v", err)
	}
	a, err := m.conns.Pool(ctx, DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	held, err := a.Acquire(ctx) // the one slot, busy: nothing to reclaim
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.conns.Pool(ctx, ref)
	if err == nil {
		var c *pgxpool.Conn
		if c, err = b.Acquire(ctx); err == nil {
			c.Release()
		}
	}
	if !errors.Is(err, ErrConnectionBudget) {
		t.Fatalf("a connection beyond the spent budget: %v, want ErrConnectionBudget", err)
	}
	time.Sleep(readyMemo)
	if err := m.Ready(ctx); !errors.Is(err, ErrBudgetExhausted) {
		t.Errorf("Ready after a request waited the budget out = %v, want ErrBudgetExhausted", err)
	}
	held.Release()
	time.Sleep(budgetReadyWindow)
	if err := m.Ready(ctx); err != nil {
		t.Errorf("Ready a second later, the slot free: %v", err)
	}
}
