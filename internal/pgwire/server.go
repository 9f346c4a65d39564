package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/kernel"
)

// Timeouts of the pooler's own work.
const (
	// startupTimeout bounds the startup and authentication exchange.
	startupTimeout = 30 * time.Second
	// acquireTimeout bounds a client's wait for a server connection
	// (PgBouncer's query_wait_timeout).
	acquireTimeout = 2 * time.Minute
	// resetTimeout bounds ROLLBACK / DISCARD ALL on a returned connection.
	resetTimeout = 5 * time.Second
	// reapEvery is how often pools of paused or deleted projects are closed.
	reapEvery = 5 * time.Second
)

// Projects is what the pooler needs from the tenant component.
type Projects interface {
	// ProjectState reports whether project ref exists and is active.
	ProjectState(ref string) (exists, active bool)
	// ServiceKey returns project ref's service_role key, the password of
	// the wire endpoint.
	ServiceKey(ref string) (string, error)
	// PoolConfig returns a pool configuration for the project's login role
	// with its limits and the platform's shared connection budget.
	PoolConfig(ctx context.Context, ref string) (*pgxpool.Config, error)
	// TrackPool puts a pooler's pool under the connection budget, which
	// may reclaim its idle connections when other projects need them;
	// untrack is called before the pool is closed.
	TrackPool(pool *pgxpool.Pool) (untrack func())
}

// Roles a client may ask for with its user name, and the database role each
// maps to. The login role of a project can switch to exactly these.
var userRoles = map[string]string{
	"postgres":      "service_role",
	"service_role":  "service_role",
	"authenticated": "authenticated",
	"anon":          "anon",
}

type poolKey struct{ ref, role string }

// Server is the "pgwire" component: a PostgreSQL wire endpoint that routes
// each client to its project's database in transaction-pooling mode.
type Server struct {
	cfg      Config
	projects Projects
	log      *slog.Logger

	mu       sync.Mutex
	ln       net.Listener
	cancel   context.CancelFunc
	ctx      context.Context // the server's lifetime; set by Start
	pools    map[poolKey]*pgxpool.Pool
	untrack  map[*pgxpool.Pool]func() // TrackPool's, for pools in pools
	sessions map[uint32]*session      // by the fake backend PID given to the client
	clients  map[net.Conn]struct{}
	scram    scramCache
	wg       sync.WaitGroup // accept loop, reaper, sessions, pumps, pool closers
}

var _ kernel.Component = (*Server)(nil)

// New returns the component; it listens once started.
func New(cfg Config, projects Projects, log *slog.Logger) *Server {
	return &Server{cfg: cfg, projects: projects, log: log}
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "pgwire" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"tenant"} }

// Start listens on the configured address and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("pgwire: listening on %s: %w", s.cfg.Listen, err)
	}
	if !isLoopback(ln.Addr()) {
		s.log.Warn("the wire endpoint listens beyond loopback; it speaks no TLS, so queries and results cross the network in clear", "addr", ln.Addr().String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.ln, s.ctx, s.cancel = ln, ctx, cancel
	s.pools = map[poolKey]*pgxpool.Pool{}
	s.untrack = map[*pgxpool.Pool]func(){}
	s.sessions = map[uint32]*session{}
	s.clients = map[net.Conn]struct{}{}
	s.mu.Unlock()
	s.wg.Add(2)
	go s.acceptLoop(ctx, ln)
	go s.reap(ctx)
	s.log.Info("wire endpoint listening", "addr", ln.Addr().String())
	return nil
}

func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// Addr returns the address the endpoint listens on (useful with port 0).
func (s *Server) Addr() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return "", ErrStopped
	}
	return s.ln.Addr().String(), nil
}

// URL returns a connection URL for project ref without a password, e.g.
// postgres://postgres@127.0.0.1:6543/default; "" when not listening.
func (s *Server) URL(ref string) string {
	addr, err := s.Addr()
	if err != nil {
		return ""
	}
	return "postgres://postgres@" + addr + "/" + ref
}

// Stop closes the listener and every client, returns (or closes) the server
// connections and closes the pools. It is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	ln, cancel := s.ln, s.cancel
	s.ln, s.cancel = nil, nil
	for c := range s.clients {
		_ = c.Close()
	}
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	cancel()
	_ = ln.Close()
	s.scram.close()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		s.mu.Lock()
		pools := s.pools
		s.pools = map[poolKey]*pgxpool.Pool{}
		for _, p := range pools {
			s.untrackLocked(p)
		}
		s.mu.Unlock()
		for _, p := range pools {
			p.Close()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pgwire: stopping: %w", ctx.Err())
	}
}

func (s *Server) acceptLoop(ctx context.Context, ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accepting a client", "err", err)
			continue
		}
		s.mu.Lock()
		if s.clients == nil || ctx.Err() != nil {
			s.mu.Unlock()
			_ = conn.Close()
			return
		}
		s.clients[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, conn)
			s.mu.Lock()
			delete(s.clients, conn)
			s.mu.Unlock()
			_ = conn.Close()
		}()
	}
}

// reap closes the pools of projects that were paused or deleted, so that
// their connections (and budget slots) are freed at once.
func (s *Server) reap(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(reapEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		for k := range s.pools {
			if _, active := s.projects.ProjectState(k.ref); !active {
				s.closePoolLocked(k)
			}
		}
		s.mu.Unlock()
	}
}

// closePoolLocked forgets the pool of k and closes it in the background:
// pgxpool's Close waits for acquired connections to come back.
func (s *Server) closePoolLocked(k poolKey) {
	p := s.pools[k]
	if p == nil {
		return
	}
	delete(s.pools, k)
	s.untrackLocked(p)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		p.Close()
	}()
}

// pool returns the upstream pool of (ref, role), creating it on first use.
// Its connections log in as the project's login role with the session role
// fixed to role by a startup parameter, so the role is a property of the
// pooled connection and RESET ROLE / DISCARD ALL return to it.
func (s *Server) pool(ctx context.Context, ref, role string) (*pgxpool.Pool, error) {
	k := poolKey{ref, role}
	s.mu.Lock()
	p := s.pools[k]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	cfg, err := s.projects.PoolConfig(ctx, ref)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["role"] = role
	cfg.ConnConfig.RuntimeParams["application_name"] = "mobo pgwire " + ref
	// The pooler never runs statements through pgx itself, except the
	// reset and health checks: no statement cache to go stale on DISCARD ALL.
	cfg.ConnConfig.StatementCacheCapacity = 0
	cfg.ConnConfig.DescriptionCacheCapacity = 0
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	p, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("project %q pool: %w", ref, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pools == nil {
		p.Close()
		return nil, ErrStopped
	}
	if existing := s.pools[k]; existing != nil { // a concurrent caller won
		p.Close()
		return existing, nil
	}
	s.pools[k] = p
	s.untrack[p] = s.projects.TrackPool(p)
	return p, nil
}

// untrackLocked takes p out of the budget's view before it closes.
func (s *Server) untrackLocked(p *pgxpool.Pool) {
	if u := s.untrack[p]; u != nil {
		u()
		delete(s.untrack, p)
	}
}

// acquire takes a server connection of (ref, role) for one transaction.
func (s *Server) acquire(ctx context.Context, ref, role string) (*pgxpool.Conn, error) {
	if _, active := s.projects.ProjectState(ref); !active {
		s.mu.Lock()
		s.closePoolLocked(poolKey{ref, role})
		s.mu.Unlock()
		return nil, errProjectPaused
	}
	p, err := s.pool(ctx, ref, role)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, acquireTimeout)
	defer cancel()
	c, err := p.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring a connection of project %q: %w", ref, err)
	}
	return c, nil
}

var errProjectPaused = errors.New("project is not active")

// register gives sess a fake backend key for CancelRequest.
func (s *Server) register(sess *session) error {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		if pid == 0 {
			continue
		}
		s.mu.Lock()
		if _, taken := s.sessions[pid]; !taken && s.sessions != nil {
			sess.pid, sess.secret = pid, append([]byte(nil), b[4:]...)
			s.sessions[pid] = sess
			s.mu.Unlock()
			return nil
		}
		stopped := s.sessions == nil
		s.mu.Unlock()
		if stopped {
			return ErrStopped
		}
	}
}

// ProjectChanged ends the sessions of project ref that authenticated with
// a service_role key the project no longer has (its keys were rotated): the
// tenant change hook. Other changes leave the sessions alone.
func (s *Server) ProjectChanged(_ context.Context, ref string) error {
	key, err := s.projects.ServiceKey(ref)
	if err != nil {
		key = "" // gone: end them all
	}
	s.mu.Lock()
	var stale []*session
	for _, sess := range s.sessions {
		if sess.ref == ref && sess.key != key {
			stale = append(stale, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range stale {
		sess.endRotated()
	}
	return nil
}

func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	if s.sessions[sess.pid] == sess {
		delete(s.sessions, sess.pid)
	}
	s.mu.Unlock()
}

// cancelRequest forwards a client's CancelRequest to the server connection
// currently serving the session it names, if any. As in PostgreSQL, a wrong
// key is ignored silently.
func (s *Server) cancelRequest(ctx context.Context, m *pgproto3.CancelRequest) {
	s.mu.Lock()
	sess := s.sessions[m.ProcessID]
	s.mu.Unlock()
	if sess == nil || subtle.ConstantTimeCompare(sess.secret, m.SecretKey) != 1 {
		return
	}
	sess.cancelUpstream(ctx)
}
