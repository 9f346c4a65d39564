package tenant

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

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
