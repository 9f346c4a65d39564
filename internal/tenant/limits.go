package tenant

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Platform defaults for per-project limits.
const (
	DefaultPoolMaxConns        = 10
	DefaultReservedConnections = 15
	DefaultQuotaCheckInterval  = 30 * time.Second
)

// ErrConnectionBudget is returned when every connection the platform may open
// to the cluster is in use and none frees up in time. APIs answer 503.
var ErrConnectionBudget error = unavailableError("the cluster's connection budget is exhausted")

// unavailableError is a temporary lack of capacity: HTTP 503.
type unavailableError string

func (e unavailableError) Error() string   { return string(e) }
func (e unavailableError) HTTPStatus() int { return 503 }

// ErrOverQuota: the project's database is larger than its size limit; it is
// read-only until it shrinks or the limit rises.
var ErrOverQuota error = &statusError{"the project's database is over its size quota; writes are refused", 409}

// budget caps the connections that all project pools hold together, so that
// their sum stays under the server's max_connections with headroom for the
// control plane and admin work. The slot belongs to the network connection
// ([budget.dial]): taken before dialing, given back when the dial fails or
// when the connection closes, however it closes (pool, hijack, a failed
// start-up, PostgreSQL gone), so no path can leak one.
type budget struct {
	sem   chan struct{}
	steal func() bool // closes one idle connection of some pool; reports whether it did

	// The accounting behind [ConnectionStats]: connections open and dials
	// in flight, and when a caller last waited the budget out.
	open, dialing atomic.Int64
	exhausted     atomic.Uint64
	lastExhausted atomic.Int64 // unix nanoseconds
}

func newBudget(n int) *budget { return &budget{sem: make(chan struct{}, max(n, 1))} }

func (b *budget) acquire(ctx context.Context) error {
	select {
	case b.sem <- struct{}{}:
		return nil
	default:
	}
	// Full: reclaim an idle connection from another project, and again
	// while waiting, since a concurrent caller may take the slot freed.
	wait := time.NewTimer(budgetWait)
	defer wait.Stop()
	retry := time.NewTicker(budgetRetry)
	defer retry.Stop()
	for {
		if b.steal != nil {
			b.steal()
		}
		select {
		case b.sem <- struct{}{}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-wait.C:
			b.exhausted.Add(1)
			b.lastExhausted.Store(time.Now().UnixNano())
			return ErrConnectionBudget
		case <-retry.C:
		}
	}
}

// budgetWait is how long a new connection waits for a slot of the budget
// before the request fails with ErrConnectionBudget; budgetRetry is how
// often it tries to reclaim one meanwhile.
const (
	budgetWait  = 5 * time.Second
	budgetRetry = 50 * time.Millisecond
)

func (b *budget) release() {
	select {
	case <-b.sem:
	default: // never taken
	}
}

// dial wraps a pool's dialer: each connection holds a slot of the budget
// from before its dial until its close.
func (b *budget) dial(next pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := b.acquire(ctx); err != nil {
			return nil, err
		}
		b.dialing.Add(1)
		c, err := next(ctx, network, addr)
		if err != nil {
			b.dialing.Add(-1)
			b.release()
			return nil, err
		}
		b.open.Add(1)
		b.dialing.Add(-1)
		return &budgetConn{Conn: c, b: b}, nil
	}
}

// budgetConn is a network connection holding a slot of the budget.
type budgetConn struct {
	net.Conn
	b    *budget
	once sync.Once
}

// Close closes the connection and gives its slot back, once.
func (c *budgetConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.b.open.Add(-1)
		c.b.release()
	})
	return err
}

// InUse is the number of slots taken.
func (b *budget) InUse() int { return len(b.sem) }

// stealIdle frees one slot of the budget for a new connection: it closes an
// idle connection of a service pool, or else of the pool with the most idle
// ones (the manager's or a tracked one), or, when no pool has one, asks the
// holder of a long-lived connection (a schema listener) of the project idle
// the longest to let go. It reports whether it found one.
func (m *Manager) stealIdle() bool {
	m.mu.RLock()
	var victim *pgxpool.Pool
	most := int32(0)
	for key, p := range m.pools {
		idle := p.Stat().IdleConns()
		if idle > 0 && key.service {
			idle += servicePoolMaxConns // auth's connections go first: it needs them least often
		}
		if idle > most {
			victim, most = p, idle
		}
	}
	for p := range m.tracked {
		if idle := p.Stat().IdleConns(); idle > most {
			victim, most = p, idle
		}
	}
	var oldest *hold
	if victim == nil {
		for h := range m.holds {
			if oldest == nil || h.lastUsed().Before(oldest.lastUsed()) {
				oldest = h
			}
		}
	}
	m.mu.RUnlock()
	if victim == nil {
		if oldest == nil {
			return false
		}
		m.log.Debug("connection budget full: stopping a long-lived connection", "ref", oldest.ref, "idle", time.Since(oldest.lastUsed()))
		oldest.evict()
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conns := victim.AcquireAllIdle(ctx)
	for i, c := range conns {
		if i == 0 {
			// Closing it gives its slot back (budgetConn).
			conn := c.Hijack()
			_ = conn.Close(ctx)
			continue
		}
		c.Release()
	}
	return len(conns) > 0
}

// TrackPool lets the connection budget reclaim idle connections of a pool
// that another component made from [Manager.PoolConfig] (the wire pooler's),
// as it does those of its own pools. Call untrack before closing the pool.
func (m *Manager) TrackPool(pool *pgxpool.Pool) (untrack func()) {
	m.mu.Lock()
	m.tracked[pool] = struct{}{}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.tracked, pool)
		m.mu.Unlock()
	}
}

// hold is one connection that a component keeps open to a project's
// database outside the pools, for as long as the project is in use (the
// REST schema listener): it takes a slot of the connection budget like a
// pool connection. When the budget runs short, the holder of the project
// idle the longest is asked to let go (its stop function is called); it
// must then close its connection and release the hold.
type hold struct {
	m        *Manager
	ref      string
	lastUsed func() time.Time
	stop     func()
	once     sync.Once // evict
	released sync.Once
}

// HoldConnection takes a budget slot for a long-lived connection to project
// ref. lastUsed tells when the project was last used; stop asks the holder
// to close its connection (when the budget runs short, or the project is
// paused or deleted). The holder calls release once its connection is
// closed. It fails like a pool connection would when the budget stays full,
// or when the project is not active.
func (m *Manager) HoldConnection(ctx context.Context, ref string, lastUsed func() time.Time, stop func()) (release func(), err error) {
	p, err := m.Project(ref)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusActive {
		return nil, fmt.Errorf("project %q: %w", ref, ErrPaused)
	}
	if m.budget != nil {
		if err := m.budget.acquire(ctx); err != nil {
			return nil, err
		}
	}
	h := &hold{m: m, ref: ref, lastUsed: lastUsed, stop: stop}
	m.mu.Lock()
	m.holds[h] = struct{}{}
	m.mu.Unlock()
	return h.release, nil
}

// evict asks the holder to let go, once.
func (h *hold) evict() { h.once.Do(h.stop) }

// release gives the slot back once the connection is closed. It is
// idempotent.
func (h *hold) release() {
	h.released.Do(func() {
		h.m.mu.Lock()
		delete(h.m.holds, h)
		h.m.mu.Unlock()
		if h.m.budget != nil {
			h.m.budget.release()
		}
	})
}

// SetLimits changes a project's limits; its pool is rebuilt to apply them.
func (m *Manager) SetLimits(ctx context.Context, ref string, l Limits) error {
	if l.MaxConnections < 0 || l.MaxConnections > 1000 || l.StatementTimeout < 0 || l.DBSizeLimit < 0 {
		return fmt.Errorf("limits %+v: %w", l, ErrInvalidLimits)
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	var timeout any
	if l.StatementTimeout > 0 {
		timeout = l.StatementTimeout
	}
	tag, err := pool.Exec(ctx, `update mobo.projects set max_connections = nullif($2, 0), statement_timeout = $3,
		db_size_limit = nullif($4, 0), request_rate = nullif($5, ''), updated_at = now() where ref = $1`,
		ref, l.MaxConnections, timeout, l.DBSizeLimit, l.RequestRate)
	if err != nil {
		return fmt.Errorf("setting limits of project %q: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	m.mu.Lock()
	if p, ok := m.projects[ref]; ok {
		cp := *p
		cp.Limits = l
		m.projects[ref] = &cp
	}
	m.mu.Unlock()
	m.closePool(ref)
	return m.checkQuota(ctx, ref)
}

// QuotaError returns ErrOverQuota (wrapped) while project ref is over its
// size quota, so APIs can explain a refused write.
func (m *Manager) QuotaError(ref string) error {
	p, err := m.Project(ref)
	if err != nil {
		return err
	}
	if p.OverQuota {
		return fmt.Errorf("project %q (limit %d bytes): %w", ref, p.Limits.DBSizeLimit, ErrOverQuota)
	}
	return nil
}

// OverQuota reports whether project ref's database is over its size quota
// (false for an unknown project).
func (m *Manager) OverQuota(ref string) bool {
	p, err := m.Project(ref)
	return err == nil && p.OverQuota
}

// checkQuota compares project ref's database size with its limit and makes
// the database read-only (default_transaction_read_only, for new sessions;
// the pool is closed so that none keeps writing) or writable again.
func (m *Manager) checkQuota(ctx context.Context, ref string) error {
	p, err := m.Project(ref)
	if err != nil || p.Status != StatusActive {
		return err
	}
	if p.Limits.DBSizeLimit == 0 && !p.OverQuota {
		return nil
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("checking the size of project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var size int64
	if err := conn.QueryRow(ctx, "select pg_database_size($1)", p.Database).Scan(&size); err != nil {
		return fmt.Errorf("checking the size of project %q: %w", ref, err)
	}
	over := p.Limits.DBSizeLimit > 0 && size > p.Limits.DBSizeLimit
	if over == p.OverQuota {
		return nil
	}
	setting := "off"
	if over {
		setting = "on"
	}
	if _, err := conn.Exec(ctx, "alter database "+pgx.Identifier{p.Database}.Sanitize()+" set default_transaction_read_only = "+setting); err != nil {
		return fmt.Errorf("setting project %q read-only=%s: %w", ref, setting, err)
	}
	cpool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	if _, err := cpool.Exec(ctx, "update mobo.projects set over_quota = $2 where ref = $1", ref, over); err != nil {
		return fmt.Errorf("recording the quota state of project %q: %w", ref, err)
	}
	m.mu.Lock()
	if q, ok := m.projects[ref]; ok {
		cp := *q
		cp.OverQuota = over
		m.projects[ref] = &cp
	}
	m.mu.Unlock()
	m.closePool(ref)
	if over {
		m.log.Warn("project over its size quota; its database is read-only", "ref", ref, "size", size, "limit", p.Limits.DBSizeLimit)
	} else {
		m.log.Info("project back under its size quota; writes allowed", "ref", ref, "size", size)
	}
	return nil
}

// watchQuotas checks every project's size periodically until ctx ends.
func (m *Manager) watchQuotas(ctx context.Context, every time.Duration, wg *sync.WaitGroup) {
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, ref := range m.Refs() {
				if err := m.checkQuota(ctx, ref); err != nil && ctx.Err() == nil {
					m.log.Warn("quota check failed", "ref", ref, "err", err)
				}
			}
		}
	})
}

// Usage is what a project uses now.
type Usage struct {
	SizeBytes    int64
	RowsEstimate int64 // from the planner's statistics
	Connections  int32 // held by the project's pools and listeners
}

// Usage reports project ref's database size, estimated rows and connections.
func (m *Manager) Usage(ctx context.Context, ref string) (Usage, error) {
	p, err := m.Project(ref)
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	if p.Status == StatusActive {
		conn, err := pgx.Connect(ctx, m.srv.ConnString(p.Database))
		if err != nil {
			return u, fmt.Errorf("measuring project %q: %w", ref, err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		err = conn.QueryRow(ctx, `select pg_database_size(current_database()),
			coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
			from pg_class c join pg_namespace n on n.oid = c.relnamespace
			where c.relkind in ('r', 'm', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'mobo')
			  and n.nspname not like 'pg_toast%'`).Scan(&u.SizeBytes, &u.RowsEstimate)
		if err != nil {
			return u, fmt.Errorf("measuring project %q: %w", ref, err)
		}
	}
	u.Connections = m.Stats().Projects[ref]
	return u, nil
}
