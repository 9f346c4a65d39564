package rest

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
)

// Options are the dependencies of a [Server].
type Options struct {
	Config Config
	// Settings keeps each project's overrides of Config; without it every
	// project runs on Config.
	Settings SettingsStore
	// Gate authenticates requests and authorizes each before any SQL runs;
	// its decision is what runs the statement. Required.
	Gate *gate.Gate
	// Catalog gives each project's schema catalog snapshot (the schema
	// cache component's). Required.
	Catalog Catalogs
	Logger  *slog.Logger
}

// Server is the "rest" component: the PostgREST-compatible API. Mount
// [Server.Handler] at /rest/v1/. It holds no goroutines: each project's
// [Schema] is derived from the schema cache's snapshot at its first use.
type Server struct {
	opts Options
	log  *slog.Logger

	// reads are the compiled reads of every project's snapshots, keyed by
	// the snapshot's version.
	reads *kernel.MemoryCache[*cachedRead]
}

var _ kernel.Component = (*Server)(nil)

// New returns the REST server. It panics without a Gate or a Catalog: the
// assembly of components is a programming matter, checked at start.
func New(opts Options) *Server {
	if opts.Gate == nil || opts.Catalog == nil {
		panic("rest: New needs a Gate and a Catalog")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: log, reads: kernel.NewCostCache(readCacheCost, readCost)}
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "rest" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"tenant", "schemacache"} }

// Start checks the configuration; projects load lazily.
func (s *Server) Start(context.Context) error {
	return s.opts.Config.Validate()
}

// Stop forgets the compiled reads. It is idempotent.
func (s *Server) Stop(context.Context) error {
	s.reads.Clear()
	s.reads.Close() // still usable after a restart; expired entries are then never returned, only not swept
	return nil
}

// Handler serves the API; mount it at /rest/v1/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }
