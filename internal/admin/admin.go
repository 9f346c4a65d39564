// Package admin serves the platform's admin API at /admin/v1, authorised by
// the control plane's admin key. So far it reports status and components; the
// projects issue grows it into the full admin API.
//
// The admin key is loaded once in Start; handlers are safe for concurrent use.
package admin

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
)

// Status is the body of GET /admin/v1/status.
type Status struct {
	Version   string                   `json:"version"`
	Mode      string                   `json:"mode"` // "managed" or "external"
	StartedAt time.Time                `json:"started_at"`
	Ready     bool                     `json:"ready"`
	Failing   []string                 `json:"failing,omitempty"`
	Database  string                   `json:"database"` // where PostgreSQL is, without secrets
	Details   map[string]any           `json:"details,omitempty"`
	Comps     []kernel.ComponentStatus `json:"components"`
}

// Source is what the admin API reports on: the kernel implements it.
type Source interface {
	Status() []kernel.ComponentStatus
	Ready(ctx context.Context) (bool, []string)
}

// KeySource yields the admin key: the control plane implements it.
type KeySource interface {
	AdminKey(ctx context.Context) (string, error)
}

// Info is fixed information about the running server.
type Info struct {
	Version  string
	Mode     string
	Database string
}

// API is the "admin" component.
type API struct {
	keys     KeySource
	info     Info
	src      Source
	projects Projects
	dbs      Databases
	rest     Settings
	auth     Settings
	details  map[string]func() any
	metrics  http.Handler
	sections map[string]http.Handler
	log      *slog.Logger

	mu      sync.RWMutex
	key     string
	started time.Time
}

var _ kernel.Component = (*API)(nil)

// Options assemble the admin API. Keys and Info are required; each of
// Projects, Databases, REST and Auth, when set, enables its endpoints.
type Options struct {
	Keys      KeySource
	Info      Info
	Projects  Projects  // /admin/v1/projects
	Databases Databases // /admin/v1/projects/{ref}/migrations and /connection
	REST      Settings  // /admin/v1/projects/{ref}/rest
	Auth      Settings  // /admin/v1/projects/{ref}/auth
	// Details are sections of the status, each computed when it is asked
	// for: the connection budget's state, for one.
	Details map[string]func() any
	// Metrics, when set, serves the Prometheus exposition at
	// /admin/v1/metrics and /metrics (mount [API.Handler] at both).
	Metrics http.Handler
	// Sections are other components' admin APIs, served behind the admin
	// key: "sentinel" → the handler of /admin/v1/sentinel/.
	Sections map[string]http.Handler
	Logger   *slog.Logger
}

// New returns the admin API. Mount [API.Handler] on the gateway at /admin/v1/.
func New(o Options) *API {
	return &API{
		keys: o.Keys, info: o.Info, projects: o.Projects, dbs: o.Databases,
		rest: o.REST, auth: o.Auth, details: o.Details, metrics: o.Metrics, sections: o.Sections, log: o.Logger,
	}
}

// SetSource sets what the API reports on. Call it before Start.
func (a *API) SetSource(s Source) { a.src = s }

// Name implements [kernel.Component].
func (a *API) Name() string { return "admin" }

// Requires implements [kernel.Component].
func (a *API) Requires() []string { return []string{"controlplane"} }

// Start loads the admin key.
func (a *API) Start(ctx context.Context) error {
	k, err := a.keys.AdminKey(ctx)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.key, a.started = k, time.Now()
	a.mu.Unlock()
	return nil
}

// Stop implements [kernel.Component].
func (a *API) Stop(context.Context) error { return nil }

// Key returns the admin key, valid after Start.
func (a *API) Key() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.key
}

// Handler serves /admin/v1/ (and /metrics, when there are metrics).
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/v1/status", a.status)
	mux.HandleFunc("GET /admin/v1/components", a.components)
	mountDebug(mux)
	if a.metrics != nil {
		mux.Handle("GET /admin/v1/metrics", a.metrics)
		mux.Handle("GET /metrics", a.metrics)
	}
	if a.projects != nil {
		a.mountProjects(mux)
	}
	if a.dbs != nil {
		a.mountDatabases(mux)
	}
	if a.rest != nil {
		a.mountSettings(mux, "rest", a.rest)
	}
	if a.auth != nil {
		a.mountSettings(mux, "auth", a.auth)
	}
	for name, h := range a.sections {
		mux.Handle("/admin/v1/"+name+"/", h)
	}
	mux.HandleFunc("/admin/v1/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such admin endpoint")
	})
	return a.authorize(mux)
}

func (a *API) authorize(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.RLock()
		key := a.key
		a.mu.RUnlock()
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if key == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid admin key is required (Authorization: Bearer <key>)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	ready, failing := a.src.Ready(r.Context())
	a.mu.RLock()
	started := a.started
	a.mu.RUnlock()
	st := Status{
		Version: a.info.Version, Mode: a.info.Mode, StartedAt: started, Database: a.info.Database,
		Ready: ready, Failing: failing, Comps: a.src.Status(),
	}
	st.Details = make(map[string]any, len(a.details)+1)
	st.Details["runtime"] = ReadRuntime()
	for name, f := range a.details {
		st.Details[name] = f()
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (a *API) components(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, a.src.Status())
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}
