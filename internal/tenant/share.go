package tenant

import (
	"cmp"
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A project's requests run on backends of its own database: PostgreSQL
// cannot share a backend between databases. When many projects are busy at
// once, each pool grows to the peak concurrency of its project, and the
// cluster ends up cycling through hundreds of backends, each of which a
// request finds cold in the CPU caches: the same load costs PostgreSQL twice
// the CPU time spread over 50 databases as on one (cmd/projectbench's bare
// pgx baseline). The sharer bounds how many connections of its pool a busy
// project uses at once to its fair share of the backends the cluster runs
// well together: a request beyond the share waits a little for one of the
// project's connections to come back rather than waking another backend.
// Waiting is bounded (patience), so a project whose statements are slow is
// never queued behind them for long: past the patience a request goes
// ahead, up to the pool's own limit.

// sharer hands out the share. Its zero value is not usable; see newSharer.
type sharer struct {
	target   int           // backends shared among the busy projects
	patience time.Duration // longest wait for a slot within the share

	mu    sync.Mutex
	busy  int // projects with a request in flight or waiting
	gates map[string]*gate

	waits  atomic.Uint64 // requests that waited for a slot of their share
	beyond atomic.Uint64 // of those, the ones that ran out of patience and went ahead
}

// gate is one busy project's state; it exists while the project has a
// request in flight or waiting.
type gate struct {
	inUse   int             // requests in flight
	poolMax int             // the project's pool limit, as of its latest request
	waiters []chan struct{} // requests waiting, oldest first
}

func newSharer(target int, patience time.Duration) *sharer {
	return &sharer{target: max(target, 1), patience: patience, gates: map[string]*gate{}}
}

// share is how many connections each busy project may use at once, given
// its pool's limit; never less than one. Called with s.mu held.
func (s *sharer) share(poolMax int) int {
	return max(1, min(poolMax, s.target/max(s.busy, 1)))
}

// enter takes a slot of project ref's share, waiting at most the patience
// for one to free up, and returns the function that gives it back. poolMax
// is the project's pool limit. The error is ctx's.
func (s *sharer) enter(ctx context.Context, ref string, poolMax int) (leave func(), err error) {
	s.mu.Lock()
	g := s.gates[ref]
	if g == nil {
		g = &gate{}
		s.gates[ref] = g
		s.busy++
	}
	g.poolMax = poolMax
	if len(g.waiters) == 0 && g.inUse < s.share(poolMax) {
		g.inUse++
		s.mu.Unlock()
		return s.leaver(ref, poolMax), nil
	}
	s.waits.Add(1)
	ready := make(chan struct{})
	g.waiters = append(g.waiters, ready)
	s.dispatch(g) // the share may have room the queue has not used yet
	s.mu.Unlock()

	wait := time.NewTimer(s.patience)
	defer wait.Stop()
	select {
	case <-ready: // handed a slot by a leaving request
		return s.leaver(ref, poolMax), nil
	case <-wait.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	if !g.dequeue(ready) { // handed a slot meanwhile
		s.mu.Unlock()
		if err := ctx.Err(); err != nil {
			s.leaver(ref, poolMax)()
			return nil, err
		}
		return s.leaver(ref, poolMax), nil
	}
	if err := ctx.Err(); err != nil {
		s.idle(ref, g)
		s.mu.Unlock()
		return nil, err
	}
	// Out of patience: go ahead beyond the share; the pool still caps it.
	s.beyond.Add(1)
	g.inUse++
	s.mu.Unlock()
	return s.leaver(ref, poolMax), nil
}

// leaver returns the function that gives back one slot of ref's share.
// Calls after the first do nothing.
func (s *sharer) leaver(ref string, poolMax int) func() {
	var once sync.Once
	return func() { once.Do(func() { s.leave(ref, poolMax) }) }
}

func (s *sharer) leave(ref string, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gates[ref]
	g.inUse--
	s.dispatch(g)
	s.idle(ref, g)
}

// dispatch hands g's free slots to its waiters, oldest first. Called with
// s.mu held.
func (s *sharer) dispatch(g *gate) {
	for len(g.waiters) > 0 && g.inUse < s.share(g.poolMax) {
		next := g.waiters[0]
		g.waiters = g.waiters[1:]
		g.inUse++
		close(next)
	}
}

// idle forgets ref once nothing of it is in flight or waiting; the other
// busy projects' shares then grow, and their waiters get the room. Called
// with s.mu held.
func (s *sharer) idle(ref string, g *gate) {
	if g.inUse != 0 || len(g.waiters) != 0 {
		return
	}
	delete(s.gates, ref)
	s.busy--
	for _, o := range s.gates {
		if len(o.waiters) > 0 {
			s.dispatch(o)
		}
	}
}

// dequeue removes a waiter; false: it was already handed a slot.
func (g *gate) dequeue(ready chan struct{}) bool {
	for i, w := range g.waiters {
		if w == ready {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// sharePatience is how long a request waits for a connection within its
// project's share before it goes ahead beyond it: a few times the time
// of a quick statement under load, far below that of a slow one.
const sharePatience = 20 * time.Millisecond

// DefaultActiveBackends is the default of [Config.ActiveBackends]: four per
// CPU of this machine (the managed cluster's), at least eight. Past a few
// runnable backends per core PostgreSQL gains no throughput, and the more
// distinct backends take turns, the colder each finds the CPU caches.
func DefaultActiveBackends() int { return max(8, 4*runtime.NumCPU()) }

// Share takes a slot of project ref's fair share of the cluster's backends
// for one request, to hold while it uses a connection of the project's API
// pool; leave gives it back (after the connection, so that the next
// request finds it on top of the pool's stack). It waits at most
// sharePatience for a slot and then goes ahead anyway; its error is ctx's.
func (c *Connections) Share(ctx context.Context, ref string) (leave func(), err error) {
	poolMax := cmp.Or(c.cfg.PoolMaxConns, DefaultPoolMaxConns)
	if p := c.projects.lookup(ref); p != nil {
		poolMax = c.poolMax(p)
	}
	return c.share.enter(ctx, ref, poolMax)
}
