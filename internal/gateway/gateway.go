// Package gateway is mobo's HTTP front door: it listens, gives every request
// an id, serves /healthz and /readyz, and routes to the handlers other
// components mount on it (REST, auth, realtime, admin, …).
//
// With [Gateway.SetTracer] each request gets a server span, continuing
// the caller's traceparent, and its trace id in the answer's X-Trace-Id
// and traceparent headers.
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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/ratelimit"
	"github.com/magflock/mobo/internal/sentinel/event"
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
	// RateLimit limits API requests by "ip", "apikey" and "project"
	// dimensions, by default and per route. A project's own request_rate
	// limit adds a "project" bucket.
	RateLimit ratelimit.Config `toml:"rate_limit"`
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string `toml:"trusted_proxies"`
	// RequestTimeout bounds an API request (REST, GraphQL, auth, HTTP
	// broadcast): past it, the request's database work is abandoned and it
	// answers 504 in its API's format, so that a database that hangs holds
	// no client forever. Websockets and the admin API (migrations may build
	// indexes for long) are not bounded. Default 60s.
	RequestTimeout time.Duration `toml:"request_timeout"`
	// MaxHeaderBytes bounds a request's line and headers (the URL with
	// them); more is 431. Default 1 MiB.
	MaxHeaderBytes int `toml:"max_header_bytes"`
}

// Validate checks the listen address.
func (c Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("http.listen %q: want host:port", c.Listen)
	}
	if c.MaxHeaderBytes < 0 || c.RequestTimeout < 0 {
		return errors.New("http.max_header_bytes and http.request_timeout must not be negative")
	}
	if _, err := c.RateLimit.Compile(); err != nil {
		return fmt.Errorf("http.rate_limit: %w", err)
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("http.trusted_proxies: %q is not a CIDR", p)
		}
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
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = http.DefaultMaxHeaderBytes
	}
	return c
}

// DefaultRequestTimeout is [Config.RequestTimeout]'s default, as long as an
// API gateway in front of PostgREST commonly waits for its upstream.
const DefaultRequestTimeout = 60 * time.Second

// Readiness reports whether the platform can serve: the kernel implements it.
type Readiness interface {
	Ready(ctx context.Context) (bool, []string)
}

// Projects tells the gateway which project refs it may route to.
type Projects interface {
	// ProjectState reports whether ref exists and whether it is active.
	ProjectState(ref string) (exists, active bool)
	// RequestRate is the project's own request rate rule ("100/s"), or "".
	RequestRate(ref string) string
}

// Gateway is the "gateway" component.
type Gateway struct {
	cfg      Config
	requires []string
	ready    Readiness
	projects Projects
	log      *slog.Logger
	mux      *http.ServeMux

	requests sync.Map // project ref → *atomic.Int64
	limiter  *ratelimit.Limiter
	store    *ratelimit.MemoryStore
	policy   *ratelimit.Policy
	proxies  []netip.Prefix
	rates    sync.Map     // rule text → ratelimit.Rule, parsed once
	metrics  *httpMetrics // nil unless SetMetrics
	watch    Watcher      // nil unless SetWatcher
	tracer   trace.Tracer // nil unless SetTracer

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
	for _, p := range cfg.TrustedProxies {
		if pfx, err := netip.ParsePrefix(p); err == nil { // Validate reports bad ones
			g.proxies = append(g.proxies, pfx)
		}
	}
	g.mux.HandleFunc("GET /healthz", g.healthz)
	g.mux.HandleFunc("GET /readyz", g.readyz)
	return g
}

// SetReadiness sets what /readyz asks. Call it before Start.
func (g *Gateway) SetReadiness(r Readiness) { g.ready = r }

// Watcher is the sentinel at the front door (the sentinel component's).
type Watcher interface {
	// AdmitIP refuses a blocked address before any other work.
	AdmitIP(ip netip.Addr) *httpx.Refusal
	// Record gives it an answered API request's event.
	Record(e *event.Event)
}

// SetWatcher puts the sentinel on every API request: blocked addresses
// are refused before the rate limits, and each answered request's
// [event.Note] is recorded. Call it before Start.
func (g *Gateway) SetWatcher(w Watcher) { g.watch = w }

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
	policy, err := g.cfg.RateLimit.Compile()
	if err != nil {
		return fmt.Errorf("rate limits: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", g.cfg.Listen, err)
	}
	g.store = ratelimit.NewMemoryStore(ratelimit.MemoryOptions{})
	g.policy = policy
	g.limiter = &ratelimit.Limiter{Store: g.store, Logger: g.log}
	srv := &http.Server{
		Handler:           g.withRequestID(g.route(g.withDeadline(g.mux))),
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
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
	return errors.Join(err, g.store.Close())
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

func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	if g.ready == nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "starting"})
		return
	}
	ok, failing := g.ready.Ready(r.Context())
	if !ok {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failing": failing})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// withDeadline bounds each API request by the request timeout; websocket
// upgrades and the admin API run unbounded.
func (g *Gateway) withDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/admin/") || strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			h.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.RequestTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
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
		setSecurityHeaders(w.Header())
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK, metrics: g.metrics, method: r.Method}
		ip := ratelimit.ClientIP(r, g.proxies)
		ctx := httpx.WithClientIP(httpx.WithRequestID(r.Context(), id), ip)
		var span trace.Span
		if g.tracer != nil && traced(r) {
			ctx, span = g.startSpan(ctx, rw, r)
		}
		var note *event.Note
		if g.watch != nil && !platformPath(r.URL.Path) {
			note = &event.Note{}
			note.Set(func(e *event.Event) {
				e.Method, e.UserAgent = r.Method, r.UserAgent()
				if a, err := netip.ParseAddr(ip); err == nil {
					e.Actor.IP = a.Unmap()
				}
			})
			ctx = event.WithNote(ctx, note)
		}
		h.ServeHTTP(rw, r.WithContext(ctx))
		took := time.Since(start)
		if g.metrics != nil && !rw.upgraded {
			g.metrics.observe(rw, took)
		}
		if note != nil && rw.api != "" {
			g.record(note, r, rw, start)
		}
		if span != nil {
			endSpan(span, rw, r, id, ip)
		}
		g.log.LogAttrs(ctx, slog.LevelDebug, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rw.status), slog.Duration("took", took))
	})
}

// setSecurityHeaders sets on every response what browsers should know of
// it: no content-type sniffing, no referrer sent to other origins beyond
// the origin, and no framing by other sites (clickjacking).
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
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
			g.serveRoot(w, r, h)
			return
		}
		label(w, apiOf(rest), projectUnknown) // until ref is known to exist
		if g.projects == nil || strings.HasPrefix(rest, "/admin/") || rest == metricsPath {
			httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "not_found", "message": "not found"})
			return
		}
		exists, active := g.projects.ProjectState(ref)
		if exists {
			label(w, apiOf(rest), ref)
		}
		switch {
		case !exists:
			httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "project_not_found", "message": "no project " + strconv.Quote(ref)})
			return
		case !active:
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "project_paused", "message": "project " + strconv.Quote(ref) + " is paused"})
			return
		}
		g.count(ref)
		if !g.allow(w, r, ref, rest) {
			return
		}
		r2 := r.Clone(httpx.WithProject(r.Context(), ref))
		r2.URL.Path, r2.URL.RawPath = rest, ""
		h.ServeHTTP(w, r2)
	})
}

// serveRoot serves a root path: the platform's own endpoints as they are,
// the rest as the default project's.
func (g *Gateway) serveRoot(w http.ResponseWriter, r *http.Request, h http.Handler) {
	if platformPath(r.URL.Path) {
		label(w, apiOf(r.URL.Path), projectNone)
		h.ServeHTTP(w, r)
		return
	}
	label(w, apiOf(r.URL.Path), httpx.DefaultProject)
	g.count(httpx.DefaultProject)
	if g.allow(w, r, httpx.DefaultProject, r.URL.Path) {
		h.ServeHTTP(w, r)
	}
}

// allow applies the rate limits to a request for project ref (path is the
// path within the project). On a refusal it writes the 429 in the format of
// the API the request was for and returns false.
func (g *Gateway) allow(w http.ResponseWriter, r *http.Request, ref, path string) bool {
	if g.watch != nil {
		event.NoteFrom(r.Context()).Set(func(e *event.Event) { e.Project, e.API = ref, apiOf(path) })
		if ip, err := netip.ParseAddr(httpx.ClientIP(r.Context())); err == nil {
			if ref := g.watch.AdmitIP(ip); ref != nil {
				refuse(w, r, path, ref)
				return false
			}
		}
	}
	if g.limiter == nil {
		return true
	}
	keys := g.policy.Keys(r.Method, path, func(dim string) string {
		switch dim {
		case "ip":
			return ratelimit.IPKey(ratelimit.ClientIP(r, g.proxies))
		case "apikey":
			if k := r.Header.Get("apikey"); k != "" {
				sum := sha256.Sum256([]byte(k)) // the bucket is named by a digest, never the key
				return hex.EncodeToString(sum[:12])
			}
		}
		return ""
	})
	for i := range keys {
		keys[i].Value = ref + "/" + keys[i].Value // each project has its own buckets
	}
	if g.projects != nil {
		if text := g.projects.RequestRate(ref); text != "" {
			if rule, ok := g.rule(text); ok {
				keys = append(keys, ratelimit.Key{Dimension: "project", Value: ref, Rule: rule})
			}
		}
	}
	if len(keys) == 0 {
		return true
	}
	d, err := g.limiter.Check(r.Context(), keys...)
	if err != nil {
		return true // a store outage does not take the APIs down; Check logged it
	}
	ratelimit.SetHeaders(w.Header(), d)
	if d.Allowed {
		return true
	}
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	if strings.HasPrefix(path, "/auth/") { // Supabase Auth's shape
		httpx.WriteJSON(w, http.StatusTooManyRequests, map[string]any{
			"code": http.StatusTooManyRequests, "error_code": "over_request_rate_limit",
			"msg": fmt.Sprintf("Request rate limit reached; retry in %d s", secs),
		})
		return false
	}
	httpx.WriteJSON(w, http.StatusTooManyRequests, map[string]any{ // PostgREST's shape
		"code": "over_request_rate_limit", "message": fmt.Sprintf("too many requests (%s limit); retry in %d s", d.Dimension, secs),
		"details": nil, "hint": nil,
	})
	return false
}

func (g *Gateway) rule(text string) (ratelimit.Rule, bool) {
	if r, ok := g.rates.Load(text); ok {
		return r.(ratelimit.Rule), true //nolint:forcetypeassert // only Rules are stored
	}
	r, err := ratelimit.ParseRule(text)
	if err != nil {
		g.log.Warn("ignoring an invalid project request rate", "rule", text, "err", err)
		return ratelimit.Rule{}, false
	}
	g.rates.Store(text, r)
	return r, true
}

func (g *Gateway) count(ref string) {
	c, ok := g.requests.Load(ref)
	if !ok {
		c, _ = g.requests.LoadOrStore(ref, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1) //nolint:forcetypeassert // only *atomic.Int64 is stored
}

// Requests returns how many API requests project ref has had since start.
func (g *Gateway) Requests(ref string) int64 {
	if c, ok := g.requests.Load(ref); ok {
		return c.(*atomic.Int64).Load() //nolint:forcetypeassert // only *atomic.Int64 is stored
	}
	return 0
}

// metricsPath is where the platform's metrics are also served, besides
// /admin/v1/metrics: a platform endpoint, as /admin/ is, never a project's.
const metricsPath = "/metrics"

// platformPath reports whether a root path is the platform's own rather
// than the default project's (not counted, not rate limited).
func platformPath(path string) bool {
	return strings.HasPrefix(path, "/admin/") || path == "/healthz" || path == "/readyz" || path == metricsPath
}

// statusWriter records the status of the answer and, set by route, the
// labels the request is measured under.
type statusWriter struct {
	http.ResponseWriter
	status       int
	api, project string
	method       string
	metrics      *httpMetrics // nil when not measured
	upgraded     bool         // counted at its 101, as the client sees it
	bytes        int64        // of the body written
	// tracer and span are set for a sampled request; resp is the span
	// of its response, from its first header or byte.
	tracer     trace.Tracer
	span, resp trace.Span
	route      string // the span's http.route
}

// label sets the metrics labels of the request that w answers.
func label(w http.ResponseWriter, api, project string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.api, sw.project = api, project
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.span != nil && w.resp == nil {
		w.startResponse(w.status)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	if w.span != nil && w.resp == nil {
		w.startResponse(code)
	}
	if code == http.StatusSwitchingProtocols && w.metrics != nil {
		w.metrics.upgrade(w)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
