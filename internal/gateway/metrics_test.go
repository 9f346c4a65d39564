package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// series flattens what reg gathers of metric name: the value of each
// series of a counter, the sample count of each of a histogram, keyed by
// its labels ("api=rest,project=shop").
func series(t *testing.T, reg prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelKey(m.GetLabel())] = m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

func labelKey(ls []*dto.LabelPair) string {
	kv := make([]string, len(ls))
	for i, l := range ls {
		kv[i] = l.GetName() + "=" + l.GetValue()
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func startMeasuredGateway(t *testing.T) (*Gateway, *prometheus.Registry) {
	t.Helper()
	g := New(Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	g.SetProjects(fakeProjects{"shop": true, "sleepy": false})
	reg := prometheus.NewRegistry()
	if err := g.SetMetrics(reg); err != nil {
		t.Fatal(err)
	}
	g.Handle("GET /rest/v1/{table}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("table") == "missing" {
			http.NotFound(w, r)
		}
	}))
	g.Handle("POST /auth/v1/token", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	g.Handle("/realtime/v1/websocket", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err == nil {
			_ = c.CloseNow()
		}
	}))
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Stop(context.Background()) })
	return g, reg
}

// TestHTTPMetrics: each request is counted once under its API, method,
// code and project, with bounded labels: unknown projects are "unknown",
// platform endpoints "none", raw paths never a label; a websocket counts
// its upgrade but not its duration.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	g, reg := startMeasuredGateway(t)
	for _, p := range []string{
		"/rest/v1/todos", "/rest/v1/todos", "/rest/v1/missing", "/p/shop/rest/v1/todos",
		"/p/nope-1/rest/v1/todos", "/p/nope-2/graphql/v1", "/p/sleepy/rest/v1/todos",
		"/healthz", "/no/such/thing", "/p/shop/admin/v1/status",
	} {
		get(t, g.URL()+p, nil)
	}
	resp, err := http.Post(g.URL()+"/auth/v1/token", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(g.URL(), "http")+"/realtime/v1/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.CloseNow()

	wantRequests := map[string]float64{
		"api=rest,code=200,method=GET,project=default":     2,
		"api=rest,code=404,method=GET,project=default":     1,
		"api=rest,code=200,method=GET,project=shop":        1,
		"api=rest,code=404,method=GET,project=unknown":     1,
		"api=graphql,code=404,method=GET,project=unknown":  1,
		"api=rest,code=503,method=GET,project=sleepy":      1,
		"api=other,code=200,method=GET,project=none":       1,
		"api=other,code=404,method=GET,project=default":    1,
		"api=admin,code=404,method=GET,project=unknown":    1,
		"api=auth,code=400,method=POST,project=default":    1,
		"api=realtime,code=101,method=GET,project=default": 1,
	}
	if diff := cmp.Diff(wantRequests, series(t, reg, "mobo_http_requests_total")); diff != "" {
		t.Errorf("mobo_http_requests_total (-want +got):\n%s", diff)
	}
	wantDurations := map[string]float64{
		"api=rest,project=default": 3, "api=rest,project=shop": 1, "api=rest,project=unknown": 1,
		"api=graphql,project=unknown": 1, "api=rest,project=sleepy": 1, "api=other,project=none": 1,
		"api=other,project=default": 1, "api=admin,project=unknown": 1, "api=auth,project=default": 1,
	}
	if diff := cmp.Diff(wantDurations, series(t, reg, "mobo_http_request_duration_seconds")); diff != "" {
		t.Errorf("mobo_http_request_duration_seconds counts (-want +got):\n%s", diff)
	}
	// A deleted project's series go with it.
	if err := g.ForgetProject(t.Context(), "shop", ""); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mobo_http_requests_total", "mobo_http_request_duration_seconds"} {
		for labels := range series(t, reg, name) {
			if strings.Contains(labels, "project=shop") {
				t.Errorf("%s{%s} left after the project was forgotten", name, labels)
			}
		}
	}
}

// TestSetMetricsTwice: two gateways' metrics do not fit in one registry.
func TestSetMetricsTwice(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := New(Config{}, slog.New(slog.DiscardHandler))
	if err := g.SetMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := New(Config{}, slog.New(slog.DiscardHandler)).SetMetrics(reg); err == nil {
		t.Error("registering a second gateway's metrics on the same registry did not fail")
	}
}

// BenchmarkHTTPMetrics is the gateway's own cost per request, with its
// metrics off and on, around a handler that does nothing: the difference
// is what the metrics add to every request.
func BenchmarkHTTPMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[on], func(b *testing.B) {
			g := New(Config{}, slog.New(slog.DiscardHandler))
			g.SetProjects(fakeProjects{"shop": true})
			if on {
				if err := g.SetMetrics(prometheus.NewRegistry()); err != nil {
					b.Fatal(err)
				}
			}
			g.Handle("GET /rest/v1/{table}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			h := g.withRequestID(g.route(g.withDeadline(g.mux)))
			req := httptest.NewRequest(http.MethodGet, "/p/shop/rest/v1/todos?id=eq.1", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := httptest.NewRecorder()
				for pb.Next() {
					h.ServeHTTP(w, req)
				}
			})
		})
	}
}

// BenchmarkObserve is what measuring one request costs alone: one counter
// and one histogram observation.
func BenchmarkObserve(b *testing.B) {
	m := newHTTPMetrics()
	w := &statusWriter{status: http.StatusOK, api: "rest", project: "shop", method: http.MethodGet}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.observe(w, time.Millisecond)
		}
	})
}
