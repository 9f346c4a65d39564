package schemacache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magflock/mobo/internal/catalog"
)

// entry is one project's state: its snapshot, swapped atomically on
// reload, and its listener's.
type entry struct {
	ref      string
	snapshot atomic.Pointer[catalog.Snapshot]
	// lastUsed (unix nanoseconds) lets an idle project's listener stop, so
	// that idle projects hold no connection; listening tells whether it
	// runs.
	lastUsed  atomic.Int64
	listening atomic.Bool
	// evicted: the listener stopped because the connection budget needed
	// its slot, not because the project went idle.
	evicted atomic.Bool
	// reloaded is closed and replaced at each load (and at a failed first
	// one), for callers waiting on it.
	mu       sync.Mutex
	reloaded chan struct{}
	// kick asks the listener for a reload; lastKick rate-limits misses.
	kick     chan struct{}
	lastKick atomic.Int64
	// loadMu serialises loads, so that a load that read an older catalog
	// never replaces a newer snapshot.
	loadMu sync.Mutex
}

func newEntry(ref string) *entry {
	e := &entry{ref: ref, reloaded: make(chan struct{}), kick: make(chan struct{}, 1)}
	e.touch()
	return e
}

// missReloadInterval is how often a miss may ask for a reload.
const missReloadInterval = time.Second

// miss asks for a reload, at most once per missReloadInterval.
func (e *entry) miss() {
	now := time.Now().UnixNano()
	last := e.lastKick.Load()
	if now-last < int64(missReloadInterval) || !e.lastKick.CompareAndSwap(last, now) {
		return
	}
	e.poke()
}

// poke asks the listener for a reload, unless one is already pending.
func (e *entry) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *entry) current() *catalog.Snapshot { return e.snapshot.Load() }

func (e *entry) touch() { e.lastUsed.Store(time.Now().UnixNano()) }

// lastUse is when the project was last used.
func (e *entry) lastUse() time.Time { return time.Unix(0, e.lastUsed.Load()) }

func (e *entry) store(sn *catalog.Snapshot) {
	e.snapshot.Store(sn)
	e.stored()
}

// stored wakes whoever waits for a load.
func (e *entry) stored() {
	e.mu.Lock()
	close(e.reloaded)
	e.reloaded = make(chan struct{})
	e.mu.Unlock()
}

// awaitLoad waits until the entry has a snapshot, a load failed, or ctx
// ends. The channel is taken before the snapshot is checked: a load that
// lands in between closes that very channel.
func (e *entry) awaitLoad(ctx context.Context) {
	e.mu.Lock()
	ch := e.reloaded
	e.mu.Unlock()
	if e.current() != nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}
