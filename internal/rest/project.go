package rest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Projects is what the REST API needs from the tenant component: a project's
// API pool (connections that log in as authenticator and may switch to the
// API roles).
type Projects interface {
	Pool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// Sharer is implemented by a Projects whose busy projects share the
// cluster's backends in fair shares: Share is called before each
// acquisition from a project's pool, and leave after the connection's
// release. Its error is ctx's.
type Sharer interface {
	Share(ctx context.Context, ref string) (leave func(), err error)
}

// reloadChannel and reloadPayload are PostgREST's: NOTIFY pgrst, 'reload schema'.
const (
	reloadChannel = "pgrst"
	reloadPayload = "reload schema"
)

// project is the REST state of one project: its schema cache, swapped
// atomically on reload, and its listener. The pool is looked up at each use:
// the tenant may replace it (new limits) or close it (pause, delete).
type project struct {
	ref    string
	schema atomic.Pointer[Schema]
	// lastUsed (unix nanoseconds) lets an idle project's listener stop, so
	// that idle projects hold no connection; listening tells whether it runs.
	lastUsed  atomic.Int64
	listening atomic.Bool
	// evicted: the listener stopped because the connection budget needed
	// its slot, not because the project went idle.
	evicted atomic.Bool
	// reloaded is closed and replaced at each successful load, for tests
	// and for callers waiting on a reload.
	mu       sync.Mutex
	reloaded chan struct{}
	// kick asks the listener for a reload; lastKick rate-limits misses.
	kick     chan struct{}
	lastKick atomic.Int64
	// loadMu serialises loads, so that a load that read older settings
	// or an older catalog never replaces a newer snapshot.
	loadMu sync.Mutex
}

// missReloadInterval is how often a schema-cache miss may ask for a reload,
// in case a notification was lost (the listener was reconnecting).
const missReloadInterval = time.Second

// miss asks for a reload after a schema-cache miss, at most once per
// missReloadInterval.
func (p *project) miss() {
	now := time.Now().UnixNano()
	last := p.lastKick.Load()
	if now-last < int64(missReloadInterval) || !p.lastKick.CompareAndSwap(last, now) {
		return
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *project) current() *Schema { return p.schema.Load() }

// defaultListenerIdle is how long a project may go without requests before
// its listener closes its connection. The next request reloads the cache
// (notifications sent meanwhile are lost) and starts the listener again.
const defaultListenerIdle = time.Minute

func (s *Server) listenerIdle() time.Duration {
	if s.opts.ListenerIdle > 0 {
		return s.opts.ListenerIdle
	}
	return defaultListenerIdle
}

// Listening reports whether project ref's schema listener runs (tests).
func (s *Server) Listening(ref string) bool {
	s.mu.Lock()
	p := s.projects[ref]
	s.mu.Unlock()
	return p != nil && p.listening.Load()
}

// Held reports whether the component keeps state for project ref (tests:
// an idle project's is forgotten).
func (s *Server) Held(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.projects[ref] != nil
}

func (p *project) touch() { p.lastUsed.Store(time.Now().UnixNano()) }

// lastUse is when the project last served a request.
func (p *project) lastUse() time.Time { return time.Unix(0, p.lastUsed.Load()) }

func (p *project) store(sc *Schema) {
	p.schema.Store(sc)
	p.mu.Lock()
	close(p.reloaded)
	p.reloaded = make(chan struct{})
	p.mu.Unlock()
}

// project returns ref's state, loading its schema cache and starting its
// listener at first use.
func (s *Server) project(ctx context.Context, ref string) (*project, error) {
	s.mu.Lock()
	if s.projects == nil {
		s.mu.Unlock()
		return nil, errors.New("the rest component is not started")
	}
	p, ok := s.projects[ref]
	if ok {
		s.mu.Unlock()
		if p.current() == nil {
			<-p.ready(ctx)
		}
		if p.current() == nil {
			return nil, fmt.Errorf("project %q: schema cache not loaded", ref)
		}
		p.touch()
		if !p.listening.Load() {
			err := s.wake(ctx, p)
			if errors.Is(err, errForgotten) {
				return s.project(ctx, ref)
			}
			if err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	p = &project{ref: ref, reloaded: make(chan struct{}), kick: make(chan struct{}, 1)}
	p.touch()
	s.projects[ref] = p
	s.mu.Unlock()

	fail := func(err error) (*project, error) {
		s.mu.Lock()
		delete(s.projects, ref)
		s.mu.Unlock()
		p.mu.Lock()
		close(p.reloaded)
		p.reloaded = make(chan struct{})
		p.mu.Unlock()
		return nil, err
	}
	if err := s.wake(ctx, p); err != nil {
		return fail(err)
	}
	return p, nil
}

// wake loads project p's schema cache and starts its listener, unless
// another request just did.
func (s *Server) wake(ctx context.Context, p *project) error {
	if !p.listening.CompareAndSwap(false, true) {
		return nil
	}
	// A listener that gave its connection back to the budget leaves a cache
	// that was current until then: requests go on with it while the
	// listener reconnects and reloads (as after any reconnection). After a
	// first use or an idle spell, the request waits for a fresh load.
	if !p.evicted.Swap(false) || p.current() == nil {
		if err := s.reload(ctx, p); err != nil {
			p.listening.Store(false)
			return fmt.Errorf("loading the schema cache of project %q: %w", p.ref, err)
		}
	}
	s.mu.Lock()
	if s.ctx == nil || s.ctx.Err() != nil {
		s.mu.Unlock()
		p.listening.Store(false)
		return errors.New("the rest component is stopping")
	}
	if s.projects[p.ref] != p {
		s.mu.Unlock()
		p.listening.Store(false)
		return errForgotten
	}
	lctx := s.ctx
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer p.listening.Store(false)
		s.listen(lctx, p)
	}()
	return nil
}

// pool returns project ref's pool from the tenant.
func (s *Server) pool(ctx context.Context, ref string) (*pgxpool.Pool, error) {
	return s.opts.Projects.Pool(ctx, ref)
}

// acquire takes a connection of project ref's pool for one request, within
// the project's share of the cluster's backends when the tenant keeps
// shares; release gives back the connection, then the share.
func (s *Server) acquire(ctx context.Context, ref string) (conn *pgxpool.Conn, release func(), err error) {
	leave := func() {}
	if sh, ok := s.opts.Projects.(Sharer); ok {
		if leave, err = sh.Share(ctx, ref); err != nil {
			return nil, nil, fmt.Errorf("waiting for a connection: %w", err)
		}
	}
	pool, err := s.pool(ctx, ref)
	if err == nil {
		conn, err = pool.Acquire(ctx)
		if err != nil {
			err = fmt.Errorf("acquiring a connection: %w", err)
		}
	}
	if err != nil {
		leave()
		return nil, nil, err
	}
	return conn, func() { conn.Release(); leave() }, nil
}

// ready returns a channel that is closed once the first load finished (or
// failed), or at once when a schema is already there.
func (p *project) ready(ctx context.Context) <-chan struct{} {
	if p.current() != nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	p.mu.Lock()
	ch := p.reloaded
	p.mu.Unlock()
	out := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
		}
		close(out)
	}()
	return out
}

// listen keeps a dedicated connection LISTENing on pgrst and reloads the
// schema cache on each notification, reconnecting with backoff. It reloads
// after each (re)connection too, since notifications sent while it was away
// are lost.
func (s *Server) listen(ctx context.Context, p *project) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, p, func() { backoff = 100 * time.Millisecond })
		if errors.Is(err, errEvicted) {
			p.evicted.Store(true)
			return
		}
		if errors.Is(err, errIdle) {
			s.forget(p)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("schema listener lost its connection", "ref", p.ref, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
		if time.Since(time.Unix(0, p.lastUsed.Load())) > s.listenerIdle() {
			s.forget(p) // idle meanwhile: the next request loads it afresh
			return
		}
	}
}

// forget drops the state of a project idle for the listener's idle time:
// its schema cache, which the next request would reload anyway (the
// notifications of the idle spell are lost), so that an idle project keeps
// nothing in this component. A request that raced it and still holds p
// finishes with it; wake refuses to start a listener for a forgotten p.
func (s *Server) forget(p *project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[p.ref] == p && time.Since(p.lastUse()) > s.listenerIdle() {
		delete(s.projects, p.ref)
	}
}

// errForgotten: the project's state was dropped while a request woke it;
// the request looks the project up again.
var errForgotten = errors.New("project state forgotten")

// errIdle ends a listener whose project had no request for a while, and
// errEvicted one whose connection the platform took back for a pool: the
// next request starts it again.
var (
	errIdle    = errors.New("project idle")
	errEvicted = errors.New("connection budget short")
)

// evictedOr is errEvicted when ctx ended because the connection was
// taken back, else err.
func evictedOr(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errEvicted) {
		return errEvicted
	}
	return err
}

// ConnectionHolder is implemented by a [Projects] that counts long-lived
// connections against the cluster's connection budget (the tenant manager):
// each schema listener takes a slot, and lets go when stop is called.
type ConnectionHolder interface {
	HoldConnection(ctx context.Context, ref string, lastUsed func() time.Time, stop func()) (release func(), err error)
}

func (s *Server) listenOnce(ctx context.Context, p *project, connected func()) error {
	// A connection of its own, outside the pool: a listener holds it for as
	// long as the project is in use. It still takes a slot of the cluster's
	// connection budget, and gives it up when the budget runs short.
	ctx, evict := context.WithCancelCause(ctx)
	defer evict(nil)
	if h, ok := s.opts.Projects.(ConnectionHolder); ok {
		release, err := h.HoldConnection(ctx, p.ref, p.lastUse, func() { evict(errEvicted) })
		if err != nil {
			return err
		}
		defer release() // after the connection is closed
	}
	pool, err := s.pool(ctx, p.ref)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return evictedOr(ctx, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+reloadChannel); err != nil {
		return err
	}
	connected()
	// A reloader goroutine coalesces bursts of notifications (a migration
	// of many statements) into few reloads.
	kick := p.kick
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-lctx.Done():
				return
			case <-kick:
				if err := s.reload(lctx, p); err != nil && lctx.Err() == nil {
					s.log.Warn("schema cache reload failed", "ref", p.ref, "err", err)
				}
			}
		}
	}()
	defer func() { cancel(); <-done }()
	select { // notifications sent while we were away are lost
	case kick <- struct{}{}:
	default:
	}
	// A watcher ends the wait once the project has been idle long enough.
	var idle atomic.Bool
	wctx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	go func() {
		t := time.NewTicker(s.listenerIdle() / 4)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				if time.Since(time.Unix(0, p.lastUsed.Load())) > s.listenerIdle() {
					idle.Store(true)
					stopWait()
					return
				}
			}
		}
	}()
	for {
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			if idle.Load() {
				return errIdle
			}
			return evictedOr(ctx, err)
		}
		if n.Payload != reloadPayload && n.Payload != "" {
			continue
		}
		select {
		case kick <- struct{}{}:
		default: // a reload is already pending
		}
	}
}

func (s *Server) reload(ctx context.Context, p *project) error {
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	pool, err := s.pool(ctx, p.ref)
	if err != nil {
		return err
	}
	cfg, _, err := s.effectiveConfig(ctx, p.ref)
	if err != nil {
		return err
	}
	sc, err := LoadSchema(ctx, pool, cfg.schemas())
	if err != nil {
		return err
	}
	sc.setConfig(&cfg)
	sc.reads = readCache{c: s.reads, prefix: strconv.FormatUint(s.snapshots.Add(1), 36) + "\x00"}
	p.store(sc)
	s.log.Debug("schema cache loaded", "ref", p.ref, "relations", len(sc.Relations), "functions", len(sc.Functions))
	return nil
}

// Reloaded returns a channel closed at the next schema cache load of
// project ref (nil when the project is not loaded yet). Tests wait on it.
func (s *Server) Reloaded(ref string) <-chan struct{} {
	s.mu.Lock()
	p := s.projects[ref]
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reloaded
}
