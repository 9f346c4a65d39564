package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  tracing.Config
		ok   bool
	}{
		{"off", tracing.Config{}, true},
		{"http", tracing.Config{Endpoint: "http://127.0.0.1:4318", SampleRatio: 1}, true},
		{"https with path", tracing.Config{Endpoint: "https://otel.example.com/v1/traces"}, true},
		{"no scheme", tracing.Config{Endpoint: "127.0.0.1:4318"}, false},
		{"grpc scheme", tracing.Config{Endpoint: "grpc://127.0.0.1:4317"}, false},
		{"ratio over one", tracing.Config{SampleRatio: 1.5}, false},
		{"negative ratio", tracing.Config{SampleRatio: -0.1}, false},
		{"bad header", tracing.Config{Headers: map[string]string{"a b": "c"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestOffIsNoop(t *testing.T) {
	t.Parallel()
	p, err := tracing.New(tracing.Config{}, tracing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled() {
		t.Error("Enabled() with no endpoint")
	}
	_, span := p.TracerProvider().Tracer("t").Start(context.Background(), "x")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Errorf("a span of the no-op provider records (%v) or has ids (%v)", span.IsRecording(), span.SpanContext())
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestExportAndChild(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.New(t)
	p, err := tracing.New(tracing.Config{Endpoint: rcv.URL(), SampleRatio: 1, ServiceName: "mobo-test"}, tracing.Options{Version: "v9"})
	if err != nil {
		t.Fatal(err)
	}
	tr := p.TracerProvider().Tracer("test")
	// Without a recording parent Child starts nothing.
	if _, s := tracing.Child(context.Background(), tr, "orphan"); s.IsRecording() {
		t.Error("Child started a root span")
	}
	ctx, root := tr.Start(context.Background(), "root", trace.WithSpanKind(trace.SpanKindServer))
	_, child := tracing.Child(ctx, tr, "child")
	child.End()
	root.End()
	if err := p.Shutdown(context.Background()); err != nil { // flushes
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	spans := rcv.Wait(t, 5*time.Second, func(s []tracingtest.Span) bool { return len(s) == 2 })
	byName := map[string]tracingtest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	r, c := byName["root"], byName["child"]
	if c.ParentID != r.SpanID || c.TraceID != r.TraceID || r.ParentID != "" {
		t.Errorf("child %+v is not root %+v's child", c, r)
	}
	if r.Service != "mobo-test" {
		t.Errorf("service.name = %q, want mobo-test", r.Service)
	}
}

func TestLogHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "x")
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled,
	})
	log.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "traced")
	log.InfoContext(context.Background(), "untraced")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.Bytes())
	}
	var traced, untraced map[string]any
	_ = json.Unmarshal(lines[0], &traced)
	_ = json.Unmarshal(lines[1], &untraced)
	if traced["trace_id"] != sc.TraceID().String() || traced["span_id"] != sc.SpanID().String() || traced["component"] != "x" {
		t.Errorf("traced line %v lacks the ids", traced)
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line %v has a trace_id", untraced)
	}
}
