package tenant

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/magflock/mobo/internal/kernel"
)

var (
	_ kernel.Resetter         = (*Manager)(nil)
	_ kernel.ReadinessChecker = (*Manager)(nil)
)

// ConnectionStats is the state of the connection budget: what an operator
// reads (the admin API's status) and what the fault tests check. Budget
// slots are held by pool connections that are open, by dials in flight and
// by long-lived connections (holds), and by nothing else: Held equals
// Open + Dialing + Holds whenever no connection is between two of those
// states, and Open equals the client backends that PostgreSQL shows for
// the pools ("mobo api …", "mobo service …", "mobo pgwire …").
type ConnectionStats struct {
	Budget    int              `json:"budget"`    // slots in all
	Held      int              `json:"held"`      // slots taken
	Open      int              `json:"open"`      // pool connections open
	Dialing   int              `json:"dialing"`   // connection attempts in flight
	Holds     int              `json:"holds"`     // long-lived connections (schema listeners)
	Exhausted uint64           `json:"exhausted"` // requests that waited the budget out (503)
	Projects  map[string]int32 `json:"projects"`  // connections per project: pools and holds
}

// Stats reports the connection budget's state.
func (m *Manager) Stats() ConnectionStats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := ConnectionStats{Projects: make(map[string]int32, len(m.pools)), Holds: len(m.holds)}
	for key, p := range m.pools {
		st.Projects[key.ref] += p.Stat().TotalConns()
	}
	for h := range m.holds {
		st.Projects[h.ref]++
	}
	if b := m.budget; b != nil {
		st.Budget, st.Held = cap(b.sem), b.InUse()
		st.Open, st.Dialing = int(b.open.Load()), int(b.dialing.Load())
		st.Exhausted = b.exhausted.Load()
	}
	return st
}

// Reset implements kernel.Resetter: after PostgreSQL restarted, every
// connection of every pool is stale. The pools drop them (idle ones now,
// those in use when they come back) and open new ones at the next request;
// their budget slots come back as each closes.
func (m *Manager) Reset(context.Context) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, p := range m.pools {
		p.Reset()
	}
	for p := range m.tracked {
		p.Reset()
	}
}

// Ready implements kernel.ReadinessChecker: the node can serve requests
// when the default project's API pool answers a ping (a connection can be
// had and PostgreSQL accepts statements: not down, not in recovery) and no
// request waited the connection budget out in the last second. The answer
// is kept for readyMemo, so a busy prober costs one ping per period.
func (m *Manager) Ready(ctx context.Context) error {
	return m.ready.get(func() error { return m.probe(ctx) })
}

// ErrBudgetExhausted is the readiness error while requests fail for want
// of a connection slot.
var ErrBudgetExhausted = errors.New("the connection budget is exhausted")

// readyMemo is how long a readiness answer is reused; budgetReadyWindow is
// how long after a request waited the budget out the node says it is not
// ready.
const (
	readyMemo         = 200 * time.Millisecond
	budgetReadyWindow = time.Second
)

func (m *Manager) probe(ctx context.Context) error {
	if b := m.budget; b != nil {
		if last := b.lastExhausted.Load(); last != 0 && time.Since(time.Unix(0, last)) < budgetReadyWindow {
			return ErrBudgetExhausted
		}
	}
	pool, err := m.Pool(ctx, DefaultRef)
	if err != nil {
		return err
	}
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("project %q: %w", DefaultRef, err)
	}
	return nil
}

// memo keeps the last answer of a check for a short while, so concurrent
// and frequent callers share one run.
type memo struct {
	mu   sync.Mutex
	at   time.Time
	last error
}

func (c *memo) get(run func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < readyMemo {
		return c.last
	}
	c.last, c.at = run(), time.Now()
	return c.last
}
