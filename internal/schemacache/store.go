package schemacache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/kernel"
)

// Pools gives a project's API pool (the tenant's): loads run on it, and a
// listener dials with its configuration. The pool is looked up at each use:
// the tenant may replace it (new limits) or close it (pause, delete).
type Pools interface {
	Pool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// ConnectionHolder counts long-lived connections against the cluster's
// connection budget (the tenant's): each listener takes a slot, and lets go
// when stop is called.
type ConnectionHolder interface {
	HoldConnection(ctx context.Context, ref string, lastUsed func() time.Time, stop func()) (release func(), err error)
}

// Options are the dependencies of a [Store].
type Options struct {
	// Pools is required.
	Pools Pools
	// Holder, when set, counts each listener's connection in the cluster's
	// budget.
	Holder ConnectionHolder
	// Exposed returns project ref's exposed schemas, the first being the
	// default one; it is asked at each load. Required.
	Exposed func(ctx context.Context, ref string) ([]string, error)
	// Idle is how long a project may go without use before its listener
	// closes its connection and its snapshot is dropped. Default 1m.
	Idle   time.Duration
	Logger *slog.Logger
}

// defaultIdle is [Options.Idle]'s default.
const defaultIdle = time.Minute

// Store is the "schemacache" component. It is safe for concurrent use.
type Store struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	projects map[string]*entry
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	// versions numbers the snapshots.
	versions atomic.Uint64
}

var _ kernel.Component = (*Store)(nil)

// New returns the store. It panics without Pools or Exposed: the assembly
// of components is a programming matter, checked at start.
func New(opts Options) *Store {
	if opts.Pools == nil || opts.Exposed == nil {
		panic("schemacache: New needs Pools and Exposed")
	}
	if opts.Idle <= 0 {
		opts.Idle = defaultIdle
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{opts: opts, log: log}
}

// Name implements [kernel.Component].
func (s *Store) Name() string { return "schemacache" }

// Requires implements [kernel.Component].
func (s *Store) Requires() []string { return []string{"tenant"} }

// Start readies the store; projects load lazily.
func (s *Store) Start(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.projects = map[string]*entry{}
	}
	return nil
}

// Stop ends the listeners and forgets the snapshots. It is idempotent.
func (s *Store) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel := s.cancel
	s.projects, s.cancel = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Snapshot returns project ref's current snapshot, loading it and starting
// its listener at first use (or after an idle spell).
func (s *Store) Snapshot(ctx context.Context, ref string) (*catalog.Snapshot, error) {
	e, err := s.entry(ctx, ref)
	if err != nil {
		return nil, err
	}
	return e.current(), nil
}

// Missed asks for a reload of project ref's snapshot after a name could not
// be resolved in it, at most once per [missReloadInterval]: a notification
// may have been lost while the listener reconnected.
func (s *Store) Missed(ref string) {
	if e := s.lookup(ref); e != nil {
		e.miss()
	}
}

// ProjectChanged reloads project ref's snapshot, if loaded, after a change
// of its settings (its exposed schemas among them), keys or limits: the
// tenant's change hook, run on every node.
func (s *Store) ProjectChanged(ctx context.Context, ref string) error {
	e := s.lookup(ref)
	if e == nil || e.current() == nil {
		return nil
	}
	if err := s.load(ctx, e); err != nil {
		s.log.Warn("reloading after a project change", "ref", ref, "err", err)
	}
	return nil
}

// State reports whether the store keeps project ref's snapshot and whether
// its listener runs (tests and the admin status: an idle project has
// neither).
func (s *Store) State(ref string) (held, listening bool) {
	e := s.lookup(ref)
	return e != nil, e != nil && e.listening.Load()
}

// Reloaded returns a channel closed at the next load of project ref (nil
// when the project is not loaded). Tests wait on it.
func (s *Store) Reloaded(ref string) <-chan struct{} {
	e := s.lookup(ref)
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reloaded
}

func (s *Store) lookup(ref string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.projects[ref]
}

// entry returns ref's state, loading its snapshot and starting its
// listener at first use.
func (s *Store) entry(ctx context.Context, ref string) (*entry, error) {
	s.mu.Lock()
	if s.projects == nil {
		s.mu.Unlock()
		return nil, errors.New("the schema cache is not started")
	}
	e, ok := s.projects[ref]
	if ok {
		s.mu.Unlock()
		return s.existing(ctx, e)
	}
	e = newEntry(ref)
	s.projects[ref] = e
	s.mu.Unlock()
	if err := s.wake(ctx, e); err != nil {
		s.mu.Lock()
		delete(s.projects, ref)
		s.mu.Unlock()
		e.stored() // wake waiters: they find no snapshot
		return nil, err
	}
	return e, nil
}

// existing readies an entry another request made: it waits for its first
// load, and restarts its listener if it stopped.
func (s *Store) existing(ctx context.Context, e *entry) (*entry, error) {
	e.awaitLoad(ctx)
	if e.current() == nil {
		return nil, fmt.Errorf("project %q: schema cache not loaded", e.ref)
	}
	e.touch()
	if e.listening.Load() {
		return e, nil
	}
	err := s.wake(ctx, e)
	if errors.Is(err, errForgotten) {
		return s.entry(ctx, e.ref)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// wake loads entry e's snapshot and starts its listener, unless another
// request just did.
func (s *Store) wake(ctx context.Context, e *entry) error {
	if !e.listening.CompareAndSwap(false, true) {
		return nil
	}
	// A listener that gave its connection back to the budget leaves a
	// snapshot that was current until then: requests go on with it while
	// the listener reconnects and reloads (as after any reconnection).
	// After a first use or an idle spell, the request waits for a load.
	if !e.evicted.Swap(false) || e.current() == nil {
		if err := s.load(ctx, e); err != nil {
			e.listening.Store(false)
			return fmt.Errorf("loading the schema cache of project %q: %w", e.ref, err)
		}
	}
	s.mu.Lock()
	if s.ctx == nil || s.ctx.Err() != nil {
		s.mu.Unlock()
		e.listening.Store(false)
		return errors.New("the schema cache is stopping")
	}
	if s.projects[e.ref] != e {
		s.mu.Unlock()
		e.listening.Store(false)
		return errForgotten
	}
	lctx := s.ctx
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer e.listening.Store(false)
		s.listen(lctx, e)
	}()
	return nil
}

// forget drops the state of a project idle for the idle time: its
// snapshot, which the next request would reload anyway (notifications of
// the idle spell are lost), so that an idle project keeps nothing here. A
// request that raced it and still holds e finishes with it; wake refuses
// to start a listener for a forgotten entry.
func (s *Store) forget(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[e.ref] == e && time.Since(e.lastUse()) > s.opts.Idle {
		delete(s.projects, e.ref)
	}
}

// errForgotten: the project's state was dropped while a request woke it;
// the request looks the project up again.
var errForgotten = errors.New("project state forgotten")

// load reads project e's catalog for its exposed schemas and makes it the
// current snapshot.
func (s *Store) load(ctx context.Context, e *entry) error {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	pool, err := s.opts.Pools.Pool(ctx, e.ref)
	if err != nil {
		return err
	}
	schemas, err := s.opts.Exposed(ctx, e.ref)
	if err != nil {
		return err
	}
	c, err := catalog.Load(ctx, pool, schemas)
	if err != nil {
		return err
	}
	e.store(catalog.NewSnapshot(e.ref, s.versions.Add(1), schemas, c))
	s.log.Debug("schema cache loaded", "ref", e.ref, "relations", len(c.Relations), "functions", len(c.Functions))
	return nil
}
