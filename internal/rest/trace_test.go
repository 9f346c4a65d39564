package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(s.b.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestTraceOfARequest follows one REST request through the gateway, the
// gate and PostgreSQL into an OTLP receiver: the server span, its
// children (authentication, authorization, the connection wait, the SQL
// round trip, the response), their attributes, and the trace id in the
// answer's header and the request's log line.
func TestTraceOfARequest(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.New(t)
	tp, err := tracing.New(tracing.Config{Endpoint: rcv.URL(), SampleRatio: 1, Statements: true}, tracing.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

	db := pgtest.NewDB(t, template(t))
	pools := poolProjects{db.Pool}
	g := testGate()
	g.Pools, g.Tracer, g.TraceStatements = pools, tp.TracerProvider(), tp.Statements()
	srv := New(Options{Gate: gate.New(g), Catalog: newCatalog(t, pools, nil, Config{}, 0), Logger: log})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, log)
	gw.SetTracer(tp.TracerProvider())
	gw.Handle("/rest/v1/", srv.Handler())
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = gw.Stop(context.Background())
		_ = srv.Stop(context.Background())
		_ = tp.Shutdown(context.Background())
	})

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.URL()+"/rest/v1/labels?name=eq.zz-secret-zz", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, jwt.MapClaims{"role": "service_role"}))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	tid := res.Header.Get(gateway.HeaderTraceID)
	if len(tid) != 32 || !strings.Contains(res.Header.Get("Traceparent"), tid) {
		t.Fatalf("X-Trace-Id %q, traceparent %q", tid, res.Header.Get("Traceparent"))
	}
	if err := tp.Shutdown(context.Background()); err != nil { // flush
		t.Fatal(err)
	}
	spans := rcv.Wait(t, 10*time.Second, func(s []tracingtest.Span) bool { return len(s) >= 6 })

	byName := map[string]tracingtest.Span{}
	for _, s := range spans {
		if s.TraceID != tid {
			t.Errorf("span %q is of trace %s, not the answer's %s", s.Name, s.TraceID, tid)
		}
		byName[s.Name] = s
	}
	server := byName["GET /rest/v1/{relation}"]
	if server.Kind != tracepb.Span_SPAN_KIND_SERVER || server.ParentID != "" || server.Service != "mobo" {
		t.Fatalf("server span %+v: want a root of kind server of service mobo; spans: %v", server, spans)
	}
	want := []struct {
		name  string
		kind  tracepb.Span_SpanKind
		attrs map[string]string
	}{
		{"gate.authenticate", tracepb.Span_SPAN_KIND_INTERNAL, map[string]string{"mobo.role": "service_role"}},
		{"gate.authorize", tracepb.Span_SPAN_KIND_INTERNAL, map[string]string{"mobo.role": "service_role", "mobo.action": "rest read public.labels"}},
		{"gate.acquire", tracepb.Span_SPAN_KIND_INTERNAL, nil},
		{"SELECT public.labels", tracepb.Span_SPAN_KIND_CLIENT, map[string]string{
			"db.system.name": "postgresql", "db.system": "postgresql", "db.operation.name": "SELECT", "db.collection.name": "public.labels",
		}},
		{"response", tracepb.Span_SPAN_KIND_INTERNAL, map[string]string{"http.response.status_code": "200"}},
	}
	for _, w := range want {
		s, ok := byName[w.name]
		if !ok {
			t.Errorf("no span %q; spans: %v", w.name, spans)
			continue
		}
		if s.ParentID != server.SpanID || s.Kind != w.kind {
			t.Errorf("span %q: parent %s kind %v, want a child of the server span %s of kind %v", w.name, s.ParentID, s.Kind, server.SpanID, w.kind)
		}
		for k, v := range w.attrs {
			if s.Attrs[k] != v {
				t.Errorf("span %q: %s = %q, want %q", w.name, k, s.Attrs[k], v)
			}
		}
	}
	sql := byName["SELECT public.labels"].Attrs["db.query.text"]
	if !strings.Contains(sql, `"public"."labels"`) || !strings.Contains(sql, "$1") || strings.Contains(sql, "zz-secret-zz") {
		t.Errorf("db.query.text %q: want the compiled SQL with placeholders, without the request's value", sql)
	}
	for k, v := range map[string]string{"http.route": "/rest/v1/{relation}", "http.response.status_code": "200", "mobo.project": "default"} {
		if server.Attrs[k] != v {
			t.Errorf("server span: %s = %q, want %q", k, server.Attrs[k], v)
		}
	}

	var logged bool
	for _, l := range logs.lines() {
		if l["msg"] == "request" && l["trace_id"] == tid && l["span_id"] == server.SpanID {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no request log line with trace_id %s and span_id %s: %v", tid, server.SpanID, logs.lines())
	}
}

// TestNoTraceWhenOff: a gateway not tracing sets no trace header, and the
// gate, though it has a tracer, starts no span of its own without a
// request span to hang it on.
func TestNoTraceWhenOff(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.New(t)
	tp, err := tracing.New(tracing.Config{Endpoint: rcv.URL(), SampleRatio: 1}, tracing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t, template(t))
	pools := poolProjects{db.Pool}
	g := testGate()
	g.Pools, g.Tracer = pools, tp.TracerProvider()
	srv := New(Options{Gate: gate.New(g), Catalog: newCatalog(t, pools, nil, Config{}, 0)})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	gw.Handle("/rest/v1/", srv.Handler())
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = gw.Stop(context.Background())
		_ = srv.Stop(context.Background())
	})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.URL()+"/rest/v1/labels", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, jwt.MapClaims{"role": "service_role"}))
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get(gateway.HeaderTraceID) != "" || res.Header.Get("Traceparent") != "" {
		t.Errorf("status %d, X-Trace-Id %q, traceparent %q: want 200 and no trace headers",
			res.StatusCode, res.Header.Get(gateway.HeaderTraceID), res.Header.Get("Traceparent"))
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.Spans()); n != 0 {
		t.Errorf("%d spans exported with the gateway not tracing: %v", n, rcv.Spans())
	}
}
