package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/authn"
	"github.com/magflock/mobo/internal/kernel"
)

// Projects is what the component needs from the tenant manager.
type Projects interface {
	// Refs lists the projects.
	Refs() []string
	// Database names project ref's database.
	Database(ref string) (string, error)
	// Pool is project ref's API pool; its connections can switch to the API
	// roles with SET ROLE.
	Pool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// DBServer gives superuser connection strings, for the replication
// connections.
type DBServer interface {
	ConnString(database string) string
}

// Options are the component's dependencies.
type Options struct {
	Config   Config
	Projects Projects
	DB       DBServer
	Auth     authn.Authenticator
	Bus      *kernel.Bus
	Log      *slog.Logger
}

// Server is the "realtime" component.
type Server struct {
	cfg      Config
	projects Projects
	dbs      DBServer
	auth     authn.Authenticator
	bus      *kernel.Bus
	log      *slog.Logger

	mu  sync.Mutex
	run *run // nil while stopped

	slowDisconnects atomic.Uint64
}

// run is the state of one Start..Stop.
type run struct {
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	projects map[string]*project
	sockets  map[*socket]struct{}
}

var (
	_ kernel.Component     = (*Server)(nil)
	_ kernel.HealthChecker = (*Server)(nil)
)

// New returns the component. Register [Server.Setup] and [Server.Teardown]
// as the tenant manager's hooks and mount [Server.Handler] at /realtime/v1/.
func New(o Options) (*Server, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Projects == nil || o.DB == nil || o.Auth == nil || o.Bus == nil {
		return nil, errors.New("realtime: Projects, DB, Auth and Bus are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Server{cfg: o.Config.withDefaults(), projects: o.Projects, dbs: o.DB, auth: o.Auth, bus: o.Bus, log: o.Log}, nil
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "realtime" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"tenant"} }

// Start starts change capture for every project. The goroutines it starts
// are stopped and awaited by Stop.
func (s *Server) Start(context.Context) error {
	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.run = &run{ctx: ctx, cancel: cancel, projects: map[string]*project{}, sockets: map[*socket]struct{}{}}
	s.mu.Unlock()
	for _, ref := range s.projects.Refs() {
		if _, err := s.startProject(ref); err != nil {
			return errors.Join(err, s.Stop(context.Background()))
		}
	}
	return nil
}

// Stop closes every socket ("server stopping"), stops capture (reporting
// the confirmed position) and waits for all goroutines. It is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	r := s.run
	s.run = nil
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	s.mu.Lock()
	for sock := range r.sockets {
		sock.closeWith(websocket.StatusGoingAway, "server stopping")
	}
	s.mu.Unlock()
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping realtime: %w", ctx.Err())
	}
}

// Health reports whether the component runs.
func (s *Server) Health(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return ErrStopped
	}
	return nil
}

// startProject starts project ref's capture and fan-out if the component
// runs and they are not running yet.
func (s *Server) startProject(ref string) (*project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.run
	if r == nil {
		return nil, ErrStopped
	}
	if p, ok := r.projects[ref]; ok {
		return p, nil
	}
	p, err := newProject(s, r, ref)
	if err != nil {
		return nil, err
	}
	r.projects[ref] = p
	return p, nil
}

// stopProject stops project ref's capture and closes its sockets.
func (s *Server) stopProject(ref string) {
	s.mu.Lock()
	r := s.run
	var p *project
	if r != nil {
		p = r.projects[ref]
		delete(r.projects, ref)
		for sock := range r.sockets {
			if sock.ref == ref {
				sock.closeWith(websocket.StatusGoingAway, "project deleted")
			}
		}
	}
	s.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// Handler serves /realtime/v1/websocket and /realtime/v1/api/broadcast.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /realtime/v1/websocket", s.serveWebsocket)
	mux.HandleFunc("POST /realtime/v1/api/broadcast", s.serveBroadcast)
	mux.HandleFunc("POST /realtime/v1/api/broadcast/{topic}/events/{event}", s.serveBroadcastEvent)
	return mux
}
