package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// startTracedGateway is a gateway tracing every request into a receiver;
// flush exports what was ended.
func startTracedGateway(t *testing.T, cfg tracing.Config) (g *Gateway, rcv *tracingtest.Receiver, flush func()) {
	t.Helper()
	var tp *tracing.Provider
	g = New(Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if cfg.SampleRatio != 0 {
		rcv = tracingtest.New(t)
		cfg.Endpoint = rcv.URL()
		var err error
		if tp, err = tracing.New(cfg, tracing.Options{}); err != nil {
			t.Fatal(err)
		}
		g.SetTracer(tp.TracerProvider())
	}
	g.Handle("GET /rest/v1/{table}", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "[]")
	}))
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	flush = func() {
		if tp != nil {
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() {
		if err := g.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		flush()
	})
	return g, rcv, flush
}

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$`)

func TestTracingSpansAndHeaders(t *testing.T) {
	t.Parallel()
	g, rcv, flush := startTracedGateway(t, tracing.Config{SampleRatio: 1})
	res, _ := get(t, g.URL()+"/rest/v1/todos?id=eq.7", nil)
	tid := res.Header.Get(HeaderTraceID)
	m := traceparentRE.FindStringSubmatch(res.Header.Get("Traceparent"))
	if m == nil || m[1] != tid || m[3] != "1" {
		t.Fatalf("X-Trace-Id %q, traceparent %q: want the same trace, sampled", tid, res.Header.Get("Traceparent"))
	}
	if res, _ := get(t, g.URL()+"/healthz", nil); res.Header.Get(HeaderTraceID) != "" {
		t.Error("/healthz is traced")
	}
	flush()
	spans := rcv.Wait(t, 5*time.Second, func(s []tracingtest.Span) bool { return len(s) >= 2 })
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the server's and the response's: %v", len(spans), spans)
	}
	byName := map[string]tracingtest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	srv, resp := byName["GET /rest/v1/{relation}"], byName["response"]
	if srv.SpanID != m[2] || srv.TraceID != tid || srv.Kind != tracepb.Span_SPAN_KIND_SERVER || srv.ParentID != "" {
		t.Errorf("server span %+v: want span %s of trace %s, a root of kind server", srv, m[2], tid)
	}
	for k, want := range map[string]string{
		"http.request.method": "GET", "http.route": "/rest/v1/{relation}", "url.path": "/rest/v1/todos",
		"http.response.status_code": "200", "mobo.project": "default", "mobo.api": "rest", "client.address": "127.0.0.1",
	} {
		if got := srv.Attrs[k]; got != want {
			t.Errorf("server span %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := srv.Attrs["url.query"]; ok {
		t.Error("the query string is on the span")
	}
	if resp.ParentID != srv.SpanID || resp.Attrs["http.response.body.size"] != "2" {
		t.Errorf("response span %+v: want a child of %s with the body's size", resp, srv.SpanID)
	}
}

func TestTracingContinuesTraceparent(t *testing.T) {
	t.Parallel()
	g, rcv, flush := startTracedGateway(t, tracing.Config{SampleRatio: 1})
	const caller, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	res, _ := get(t, g.URL()+"/rest/v1/todos", map[string]string{"traceparent": "00-" + caller + "-" + parent + "-01"})
	if got := res.Header.Get(HeaderTraceID); got != caller {
		t.Errorf("X-Trace-Id %q, want the caller's %s", got, caller)
	}
	// The caller's decision not to sample stands, ratio 1 or not.
	const unsampled = "0af7651916cd43dd8448eb211c80319c"
	res, _ = get(t, g.URL()+"/rest/v1/todos", map[string]string{"traceparent": "00-" + unsampled + "-b7ad6b7169203331-00"})
	if got := res.Header.Get(HeaderTraceID); got != unsampled {
		t.Errorf("X-Trace-Id %q, want the caller's %s", got, unsampled)
	}
	if m := traceparentRE.FindStringSubmatch(res.Header.Get("Traceparent")); m == nil || m[3] != "0" {
		t.Errorf("traceparent %q: want it unsampled", res.Header.Get("Traceparent"))
	}
	flush()
	spans := rcv.Wait(t, 5*time.Second, func(s []tracingtest.Span) bool { return len(s) >= 2 })
	for _, s := range spans {
		if s.TraceID != caller {
			t.Errorf("span %q of trace %s, want only the caller's sampled trace %s", s.Name, s.TraceID, caller)
		}
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER && s.ParentID != parent {
			t.Errorf("server span's parent %q, want the caller's %s", s.ParentID, parent)
		}
	}
}

func TestTracingOff(t *testing.T) {
	t.Parallel()
	g, _, _ := startTracedGateway(t, tracing.Config{})
	res, _ := get(t, g.URL()+"/rest/v1/todos", map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if res.Header.Get(HeaderTraceID) != "" || res.Header.Get("Traceparent") != "" {
		t.Errorf("tracing off, yet X-Trace-Id %q, traceparent %q", res.Header.Get(HeaderTraceID), res.Header.Get("Traceparent"))
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

func TestRouteTemplate(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/rest/v1/":                             "/rest/v1/",
		"/rest/v1/todos":                        "/rest/v1/{relation}",
		"/rest/v1/rpc/add":                      "/rest/v1/rpc/{function}",
		"/p/acme/rest/v1/todos":                 "/p/{ref}/rest/v1/{relation}",
		"/graphql/v1":                           "/graphql/v1",
		"/auth/v1/token":                        "/auth/v1/token",
		"/auth/v1/admin/users/5f1c-aa/factors":  "/auth/v1/admin/users/{id}/factors",
		"/auth/v1/wp-login.php":                 "/auth/v1/{id}",
		"/admin/v1/projects/acme/migrations/up": "/admin/v1/projects/{id}/migrations/up",
		"/realtime/v1/api/broadcast":            "/realtime/v1/api/broadcast",
		"/wp-admin/setup.php":                   "/{path}",
		"/":                                     "/",
		"/admin/v1/a/b/c/d/e/f/g/h/i":           "/admin/v1/{id}/{id}/{id}/{id}/{id}/{id}/…",
		"/admin/v1/projects/":                   "/admin/v1/projects/",
	} {
		if got := routeTemplate(path); got != want {
			t.Errorf("routeTemplate(%q) = %q, want %q", path, got, want)
		}
	}
}
