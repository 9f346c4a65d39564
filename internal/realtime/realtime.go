package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
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
	// Gate authenticates sockets and authorizes every subscription,
	// broadcast and presence; its decisions run the row checks.
	Gate *gate.Gate
	Bus  *kernel.Bus
	Log  *slog.Logger
}

// Server is the "realtime" component.
type Server struct {
	cfg      Config
	projects Projects
	dbs      DBServer
	gate     *gate.Gate
	bus      *kernel.Bus
	log      *slog.Logger

	mu  sync.Mutex
	run *run // nil while stopped

	slowDisconnects atomic.Uint64
	lag             *prometheus.HistogramVec // project; commit to dispatch

	lostMu sync.Mutex
	lostAt map[string]time.Time // projects whose slot was lost, within the hold window
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
	_ kernel.Resetter      = (*Server)(nil)
)

// Reset implements kernel.Resetter: PostgreSQL restarted or ended every
// session. A capture waiting out its backoff after losing the server
// retries now instead of up to 30 s later, so that changes flow again as
// soon as requests do.
func (s *Server) Reset(context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return
	}
	for _, p := range s.run.projects {
		select {
		case p.retry <- struct{}{}:
		default: // one is pending
		}
	}
}

// New returns the component. Register [Server.Setup] and [Server.Teardown]
// as the tenant manager's hooks and mount [Server.Handler] at /realtime/v1/.
func New(o Options) (*Server, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Projects == nil || o.DB == nil || o.Gate == nil || o.Bus == nil {
		return nil, errors.New("realtime: Projects, DB, Gate and Bus are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Server{cfg: o.Config.withDefaults(), projects: o.Projects, dbs: o.DB, gate: o.Gate, bus: o.Bus, log: o.Log, lag: newLagHistogram()}, nil
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "realtime" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"tenant"} }

// Start resumes change capture for the projects whose replication slot
// exists (so that changes committed while mobo was down reach the channels
// that rejoin); the others start theirs when a channel first joins. The
// goroutines it starts are stopped and awaited by Stop.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return nil
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.run = &run{ctx: rctx, cancel: cancel, projects: map[string]*project{}, sockets: map[*socket]struct{}{}}
	r := s.run
	r.wg.Add(1)
	go func() { defer r.wg.Done(); s.runSlotCheck(rctx) }()
	r.wg.Add(1)
	go func() { defer r.wg.Done(); s.runTokenCheck(rctx) }()
	s.mu.Unlock()
	for _, ref := range s.slotted(ctx) {
		p, err := s.startProject(ref)
		if err != nil {
			return errors.Join(err, s.Stop(context.Background()))
		}
		p.resume()
	}
	return nil
}

// slotted lists the projects whose slot exists, with one query (slots are
// cluster-wide) on the first project database that answers.
func (s *Server) slotted(ctx context.Context) []string {
	bySlot := map[string]string{}
	var dbs []string
	for _, ref := range s.projects.Refs() {
		db, err := s.projects.Database(ref)
		if err != nil {
			s.log.Warn("realtime: project without a database", "ref", ref, "err", err)
			continue
		}
		bySlot[SlotName(db)] = ref
		dbs = append(dbs, db)
	}
	var lastErr error
	for _, db := range dbs {
		slots, err := listSlots(ctx, s.dbs.ConnString(db))
		if err != nil {
			lastErr = err
			continue
		}
		var refs []string
		for _, slot := range slots {
			if ref, ok := bySlot[slot]; ok {
				refs = append(refs, ref)
			}
		}
		return refs
	}
	if lastErr != nil {
		s.log.Warn("realtime: listing replication slots; capture starts on the first join", "err", lastErr)
	}
	return nil
}

func listSlots(ctx context.Context, dsn string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("listing replication slots: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "select slot_name::text from pg_replication_slots where slot_name like 'mobo\\_realtime\\_%'")
	if err != nil {
		return nil, fmt.Errorf("listing replication slots: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
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

// startProject starts project ref's fan-out if the component runs and it
// is not running yet; its capture starts when needed (acquire, resume).
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
		s.lag.DeleteLabelValues(ref) // a deleted project's series go with it
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
