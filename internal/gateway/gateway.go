// Package gateway is mobo's HTTP front door: it listens, gives every request
// an id, serves /healthz and /readyz, and routes to the handlers other
// components mount on it (REST, auth, realtime, admin, …).
//
// Handlers are mounted with [Gateway.Handle] before the kernel starts the
// gateway; the gateway requires the components that mount on it so it starts
// last and stops first. Start returns once the listener is bound; requests are
// served on the gateway's own goroutine, which Stop ends after draining
// requests in flight.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
)

// Config configures the HTTP server.
type Config struct {
	// Listen is the address to listen on. Default "127.0.0.1:8000".
	Listen string `toml:"listen"`
	// ReadHeaderTimeout bounds reading request headers. Default 10s.
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	// ShutdownTimeout bounds draining requests at stop. Default 10s.
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
	// BaseDomain, when set, serves project ref at {ref}.{base_domain} as
	// well as at /p/{ref}/.
	BaseDomain string `toml:"base_domain"`
}

// Validate checks the listen address.
func (c Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("http.listen %q: want host:port", c.Listen)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8000"
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	return c
}

// Readiness reports whether the platform can serve: the kernel implements it.
type Readiness interface {
	Ready() (bool, []string)
}

// Projects tells the gateway which project refs it may route to.
type Projects interface {
	// ProjectState reports whether ref exists and whether it is active.
	ProjectState(ref string) (exists, active bool)
}

// Gateway is the "gateway" component.
type Gateway struct {
	cfg      Config
	requires []string
	ready    Readiness
	projects Projects
	log      *slog.Logger
	mux      *http.ServeMux

	mu   sync.Mutex
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

var _ kernel.Component = (*Gateway)(nil)

// New returns a gateway that starts after the components named in requires.
// ready may be set later with SetReadiness (the kernel is built after its
// components).
func New(cfg Config, log *slog.Logger, requires ...string) *Gateway {
	g := &Gateway{cfg: cfg.withDefaults(), requires: requires, log: log, mux: http.NewServeMux()}
	g.mux.HandleFunc("GET /healthz", g.healthz)
	g.mux.HandleFunc("GET /readyz", g.readyz)
	return g
}

// SetReadiness sets what /readyz asks. Call it before Start.
func (g *Gateway) SetReadiness(r Readiness) { g.ready = r }

// SetProjects enables per-project routing. Call it before Start.
func (g *Gateway) SetProjects(p Projects) { g.projects = p }

// Handle mounts h at pattern (http.ServeMux syntax). Call it before Start.
func (g *Gateway) Handle(pattern string, h http.Handler) { g.mux.Handle(pattern, h) }

// Name implements [kernel.Component].
func (g *Gateway) Name() string { return "gateway" }

// Requires implements [kernel.Component].
func (g *Gateway) Requires() []string { return g.requires }

// Start binds the listener and serves in the background.
func (g *Gateway) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", g.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           g.withRequestID(g.route(g.mux)),
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	g.mu.Lock()
	g.srv, g.addr, g.done = srv, ln.Addr(), done
	g.mu.Unlock()
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("http server stopped", "err", err)
		}
	}()
	g.log.Info("listening", "addr", ln.Addr().String())
	return nil
}

// Stop drains requests in flight (up to the shutdown timeout or ctx), then
// closes. It is idempotent.
func (g *Gateway) Stop(ctx context.Context) error {
	g.mu.Lock()
	srv, done := g.srv, g.done
	g.srv = nil
	g.mu.Unlock()
	if srv == nil {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, g.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	<-done
	return err
}

// Addr is the bound address, valid after Start.
func (g *Gateway) Addr() net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addr
}

// URL is the base URL of the bound address, valid after Start.
func (g *Gateway) URL() string {
	addr := g.Addr()
	if addr == nil {
		return ""
	}
	return "http://" + addr.String()
}

func (g *Gateway) healthz(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (g *Gateway) readyz(w http.ResponseWriter, _ *http.Request) {
	if g.ready == nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "starting"})
		return
	}
	ok, failing := g.ready.Ready()
	if !ok {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failing": failing})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// withRequestID gives each request an id: the client's X-Request-Id when it is
// short and plain, else a new random one, echoed in the response.
func (g *Gateway) withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(httpx.HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(httpx.HeaderRequestID, id)
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rw, r.WithContext(httpx.WithRequestID(r.Context(), id)))
		g.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rw.status), slog.Duration("took", time.Since(start)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// route sends /p/{ref}/… and {ref}.{base_domain} requests to the same
// handlers as the root paths, with the path prefix removed and the project
// ref in the context (httpx.ProjectRef). Root paths serve the default project.
func (g *Gateway) route(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, rest, ok := "", "", false
		if after, found := strings.CutPrefix(r.URL.Path, "/p/"); found {
			ref, rest, _ = strings.Cut(after, "/")
			rest, ok = "/"+rest, true
		} else if g.cfg.BaseDomain != "" {
			host := r.Host
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if sub, found := strings.CutSuffix(strings.ToLower(host), "."+g.cfg.BaseDomain); found && !strings.Contains(sub, ".") {
				ref, rest, ok = sub, r.URL.Path, true
			}
		}
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		if g.projects == nil || strings.HasPrefix(rest, "/admin/") {
			httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "not_found", "message": "not found"})
			return
		}
		exists, active := g.projects.ProjectState(ref)
		switch {
		case !exists:
			httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "project_not_found", "message": "no project " + strconv.Quote(ref)})
			return
		case !active:
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "project_paused", "message": "project " + strconv.Quote(ref) + " is paused"})
			return
		}
		r2 := r.Clone(httpx.WithProject(r.Context(), ref))
		r2.URL.Path, r2.URL.RawPath = rest, ""
		h.ServeHTTP(w, r2)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
