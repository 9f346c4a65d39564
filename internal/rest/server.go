package rest

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
)

// Options are the dependencies of a [Server].
type Options struct {
	Config   Config
	Projects Projects
	// Gate authenticates requests and authorizes each before any SQL runs;
	// its decision is what runs the statement. Required.
	Gate   *gate.Gate
	Logger *slog.Logger
	// ListenerIdle is how long a project may go without requests before its
	// schema listener lets its connection go. Default 1m.
	ListenerIdle time.Duration
}

// Server is the "rest" component: the PostgREST-compatible API. Mount
// [Server.Handler] at /rest/v1/. Projects are loaded at their first
// request; each then has a schema cache and a goroutine listening for
// reload notifications, both ended by Stop.
type Server struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	projects map[string]*project
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	// reads are the compiled reads of every project's snapshots.
	reads *kernel.MemoryCache[*cachedRead]
	// snapshots numbers the loaded snapshots, to key their reads.
	snapshots atomic.Uint64
}

var _ kernel.Component = (*Server)(nil)

// New returns the REST server.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: log, reads: kernel.NewCostCache(readCacheCost, readCost)}
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "rest" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"tenant"} }

// Start readies the server; projects load lazily.
func (s *Server) Start(context.Context) error {
	if err := s.opts.Config.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.projects = map[string]*project{}
	}
	return nil
}

// Stop ends the listeners and forgets the schema caches. It is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel := s.cancel
	s.projects, s.cancel = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	s.reads.Clear()
	s.reads.Close() // still usable after a restart; its entries have no TTL to sweep
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handler serves the API; mount it at /rest/v1/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }
