package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options are a [Provider]'s other inputs.
type Options struct {
	// Version is the service.version of the exported spans.
	Version string
	// Logger gets the exporter's failures (at most one a minute).
	Logger *slog.Logger
}

// Provider is the platform's tracer provider: spans batched and exported
// by OTLP/HTTP, or OpenTelemetry's no-op when tracing is off.
type Provider struct {
	cfg  Config
	sdk  *sdktrace.TracerProvider // nil when off
	tp   trace.TracerProvider
	once sync.Once
	err  error
}

// New returns the provider cfg describes. It connects to nothing yet: the
// first batch of spans does.
func New(cfg Config, opts Options) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if !cfg.Enabled() {
		return &Provider{cfg: cfg, tp: noop.NewTracerProvider()}, nil
	}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.exportURL()), otlptracehttp.WithHeaders(cfg.Headers))
	if err != nil {
		return nil, fmt.Errorf("tracing: building the OTLP exporter: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if opts.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(opts.Version))
	}
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL, attrs...))
	if err != nil {
		return nil, fmt.Errorf("tracing: describing the service: %w", err)
	}
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&loggingExporter{SpanExporter: exp, log: log}),
		sdktrace.WithResource(res),
		// The caller's decision in a traceparent stands; traces started
		// here are sampled at the ratio.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	return &Provider{cfg: cfg, sdk: sdk, tp: sdk}, nil
}

// Enabled reports whether spans are exported.
func (p *Provider) Enabled() bool { return p.sdk != nil }

// Statements reports whether SQL spans carry the statement's text
// ([Config.Statements]).
func (p *Provider) Statements() bool { return p.cfg.Statements }

// TracerProvider is what components trace with: the SDK's when on, a
// no-op when off.
func (p *Provider) TracerProvider() trace.TracerProvider { return p.tp }

// Shutdown exports the spans still buffered (within ctx) and stops
// exporting. It is idempotent; spans ended after it are dropped.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	p.once.Do(func() { p.err = p.sdk.Shutdown(ctx) })
	return p.err
}

// loggingExporter logs the exporter's failures through the platform's
// logger (OpenTelemetry would hand them to its global error handler) and
// at most once a minute: a collector that is down must not flood the log.
type loggingExporter struct {
	sdktrace.SpanExporter
	log    *slog.Logger
	logged atomic.Int64 // unix nanoseconds of the last log line
}

func (e *loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		now, last := time.Now().UnixNano(), e.logged.Load()
		if now-last >= int64(time.Minute) && e.logged.CompareAndSwap(last, now) {
			e.log.WarnContext(ctx, "exporting spans", slog.Int("spans", len(spans)), slog.Any("err", err))
		}
	}
	return nil // logged here, dropped: the batcher has nothing more to do with it
}

// Child starts a span named name under ctx's span if that one is
// recording (a sampled request's), else starts nothing: it returns ctx
// and a no-op span. So work outside a sampled request (a background
// task, the unsampled majority) neither pays for spans nor makes root
// spans of its own. A nil t starts nothing either.
func Child(ctx context.Context, t trace.Tracer, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noopSpan
	}
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noopSpan
	}
	// The SDK looks the parent up several times: in a context of its own
	// rather than along the request's long chain.
	_, span := t.Start(trace.ContextWithSpan(context.Background(), parent), name, opts...)
	return trace.ContextWithSpan(ctx, span), span
}

var noopSpan = trace.SpanFromContext(context.Background())
