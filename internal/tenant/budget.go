package tenant

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
