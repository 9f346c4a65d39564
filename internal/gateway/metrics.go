package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Labels of the HTTP metrics are bounded: the API is named from the path's
// prefix (never the path), the project is a ref that exists ("unknown"
// otherwise), the method one of HTTP's, the code a status code.
const (
	projectUnknown = "unknown" // a /p/{ref}/ that names no project
	projectNone    = "none"    // platform endpoints: admin, health, metrics
)

// httpMetrics are the gateway's RED metrics of every request it serves.
type httpMetrics struct {
	requests *prometheus.CounterVec   // api, method, code, project
	duration *prometheus.HistogramVec // api, project
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "mobo", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by API, method, status code and project.",
		}, []string{"api", "method", "code", "project"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "mobo", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request (websocket upgrades excluded), by API and project.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"api", "project"}),
	}
}

// SetMetrics turns the HTTP metrics on and registers them with reg. Call it
// before Start; without it the gateway measures nothing.
func (g *Gateway) SetMetrics(reg prometheus.Registerer) error {
	m := newHTTPMetrics()
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering the gateway's metrics: %w", err)
		}
	}
	g.metrics = m
	return nil
}

// ForgetProject drops project ref's series (a tenant teardown hook: the
// project is deleted), so that projects come and go without the series
// growing. It never fails.
func (g *Gateway) ForgetProject(_ context.Context, ref, _ string) error {
	if m := g.metrics; m != nil {
		m.requests.DeletePartialMatch(prometheus.Labels{"project": ref})
		m.duration.DeletePartialMatch(prometheus.Labels{"project": ref})
	}
	return nil
}

// observe records one answered request; w carries the labels route set
// (route sees every request).
func (m *httpMetrics) observe(w *statusWriter, took time.Duration) {
	m.requests.WithLabelValues(w.api, methodOf(w.method), codeOf(w.status), w.project).Inc()
	m.duration.WithLabelValues(w.api, w.project).Observe(took.Seconds())
}

// upgrade counts a websocket when it is accepted (its life is not a
// request's duration, and may last the process's).
func (m *httpMetrics) upgrade(w *statusWriter) {
	w.upgraded = true
	m.requests.WithLabelValues(w.api, methodOf(w.method), codeOf(w.status), w.project).Inc()
}

// apiOf names the API of a path within a project.
func apiOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/rest/"):
		return "rest"
	case strings.HasPrefix(path, "/graphql/"):
		return "graphql"
	case strings.HasPrefix(path, "/auth/"):
		return "auth"
	case strings.HasPrefix(path, "/realtime/"):
		return "realtime"
	case strings.HasPrefix(path, "/admin/"), path == metricsPath:
		return "admin"
	}
	return "other"
}

func methodOf(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// codes are the status codes' labels, made once: no allocation per request.
var codes = func() (c [600]string) {
	for i := 100; i < len(c); i++ {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

func codeOf(status int) string {
	if status < 100 || status >= len(codes) {
		return "other"
	}
	return codes[status]
}
