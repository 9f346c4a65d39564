package tenant

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrConnectionBudget is returned when every connection the platform may open
// to the cluster is in use and none frees up in time. APIs answer 503.
var ErrConnectionBudget error = unavailableError("the cluster's connection budget is exhausted")

// unavailableError is a temporary lack of capacity: HTTP 503.
type unavailableError string

func (e unavailableError) Error() string   { return string(e) }
func (e unavailableError) HTTPStatus() int { return 503 }

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
// ones (its own or a tracked one), or, when no pool has one, asks the
// holder of a long-lived connection (a schema listener) of the project idle
// the longest to let go. It reports whether it found one.
func (c *Connections) stealIdle() bool {
	c.mu.RLock()
	var victim *pgxpool.Pool
	most := int32(0)
	for key, p := range c.pools {
		idle := p.Stat().IdleConns()
		if idle > 0 && key.service {
			idle += servicePoolMaxConns // auth's connections go first: it needs them least often
		}
		if idle > most {
			victim, most = p, idle
		}
	}
	for p := range c.tracked {
		if idle := p.Stat().IdleConns(); idle > most {
			victim, most = p, idle
		}
	}
	var oldest *hold
	if victim == nil {
		for h := range c.holds {
			if oldest == nil || h.lastUsed().Before(oldest.lastUsed()) {
				oldest = h
			}
		}
	}
	c.mu.RUnlock()
	if victim == nil {
		if oldest == nil {
			return false
		}
		c.log.Debug("connection budget full: stopping a long-lived connection", "ref", oldest.ref, "idle", time.Since(oldest.lastUsed()))
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
// that another component made from [Connections.PoolConfig] (the wire pooler's),
// as it does those of its own pools. Call untrack before closing the pool.
func (c *Connections) TrackPool(pool *pgxpool.Pool) (untrack func()) {
	c.mu.Lock()
	c.tracked[pool] = struct{}{}
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.tracked, pool)
		c.mu.Unlock()
	}
}

// hold is one connection that a component keeps open to a project's
// database outside the pools, for as long as the project is in use (the
// REST schema listener): it takes a slot of the connection budget like a
// pool connection. When the budget runs short, the holder of the project
// idle the longest is asked to let go (its stop function is called); it
// must then close its connection and release the hold.
type hold struct {
	c        *Connections
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
func (c *Connections) HoldConnection(ctx context.Context, ref string, lastUsed func() time.Time, stop func()) (release func(), err error) {
	p, err := c.projects.Project(ref)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusActive {
		return nil, fmt.Errorf("project %q: %w", ref, ErrPaused)
	}
	if c.budget != nil {
		if err := c.budget.acquire(ctx); err != nil {
			return nil, err
		}
	}
	h := &hold{c: c, ref: ref, lastUsed: lastUsed, stop: stop}
	c.mu.Lock()
	c.holds[h] = struct{}{}
	c.mu.Unlock()
	return h.release, nil
}

// evict asks the holder to let go, once.
func (h *hold) evict() { h.once.Do(h.stop) }

// release gives the slot back once the connection is closed. It is
// idempotent.
func (h *hold) release() {
	h.released.Do(func() {
		h.c.mu.Lock()
		delete(h.c.holds, h)
		h.c.mu.Unlock()
		if h.c.budget != nil {
			h.c.budget.release()
		}
	})
}
