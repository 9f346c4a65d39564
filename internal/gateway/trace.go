package gateway

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// HeaderTraceID carries, on every traced request's answer, its trace id
// (32 hex digits); the answer's traceparent header has it too, with the
// server span's id and whether the trace was sampled.
const HeaderTraceID = "X-Trace-Id"

// Attributes of mobo's own on the server span.
const (
	attrProject   = attribute.Key("mobo.project")
	attrAPI       = attribute.Key("mobo.api")
	attrRequestID = attribute.Key("mobo.request_id")
)

// maxPathAttr bounds url.path on a span.
const maxPathAttr = 256

// SetTracer turns tracing on: every request but health checks, metrics
// scrapes and websocket upgrades gets a server span (continuing the
// caller's trace from its traceparent), its ids in the answer's
// X-Trace-Id and traceparent headers, and, when sampled, a child span of
// the response's writing. Call it before Start; without it the gateway
// traces nothing and sets neither header.
func (g *Gateway) SetTracer(tp trace.TracerProvider) {
	g.tracer = tp.Tracer("github.com/magflock/mobo/internal/gateway")
}

// traced reports whether a request gets a span.
func traced(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", metricsPath:
		return false
	}
	return !strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

var propagator = propagation.TraceContext{}

// startSpan opens the request's server span and sets its ids in the
// answer's headers.
func (g *Gateway) startSpan(ctx context.Context, w *statusWriter, r *http.Request) (context.Context, trace.Span) {
	// The span starts from a context that holds its parent alone: the
	// SDK looks the parent up in it several times, and the request's
	// context is a long chain to walk for a key it does not hold.
	parent := context.Background()
	if _, ok := r.Header[headerTraceparent]; ok {
		parent = propagator.Extract(parent, propagation.HeaderCarrier(r.Header))
	}
	route := routeTemplate(r.URL.Path)
	_, span := g.tracer.Start(parent, spanName(methodOf(r.Method), route), trace.WithSpanKind(trace.SpanKindServer))
	ctx = trace.ContextWithSpan(ctx, span)
	setTraceHeaders(w.Header(), span.SpanContext())
	if span.IsRecording() {
		w.tracer, w.span, w.route = g.tracer, span, route
	}
	return ctx, span
}

const (
	headerTraceparent = "Traceparent" // canonical, as http.Header keys are
	headerTracestate  = "Tracestate"
)

// setTraceHeaders sets X-Trace-Id and traceparent (and tracestate, when
// the caller sent one) as propagation.TraceContext.Inject would, in one
// string: every traced request pays for it.
func setTraceHeaders(h http.Header, sc trace.SpanContext) {
	var b [55]byte // 00-{trace id}-{span id}-{flags}
	tid, sid := sc.TraceID(), sc.SpanID()
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52], b[53], b[54] = '-', '0', '0'
	if sc.IsSampled() {
		b[54] = '1'
	}
	tp := string(b[:])
	h[headerTraceparent] = []string{tp}
	h[HeaderTraceID] = []string{tp[3:35]}
	if ts := sc.TraceState(); ts.Len() > 0 {
		h[headerTracestate] = []string{ts.String()}
	}
}

// spanName is "{method} {route}", without building the string for the
// usual REST and GraphQL requests.
func spanName(method, route string) string {
	switch route {
	case "/rest/v1/{relation}":
		switch method {
		case http.MethodGet:
			return "GET /rest/v1/{relation}"
		case http.MethodHead:
			return "HEAD /rest/v1/{relation}"
		case http.MethodPost:
			return "POST /rest/v1/{relation}"
		case http.MethodPatch:
			return "PATCH /rest/v1/{relation}"
		case http.MethodDelete:
			return "DELETE /rest/v1/{relation}"
		}
	case "/rest/v1/rpc/{function}":
		switch method {
		case http.MethodGet:
			return "GET /rest/v1/rpc/{function}"
		case http.MethodPost:
			return "POST /rest/v1/rpc/{function}"
		}
	case "/graphql/v1":
		if method == http.MethodPost {
			return "POST /graphql/v1"
		}
	}
	return method + " " + route
}

// endSpan completes the server span with what the answer was; 5xx are
// errors (a 4xx is the client's, not the server's).
// The attributes are set here, at once, rather than at the start: the
// sampler reads none of them, and one call takes the span's lock once.
func endSpan(span trace.Span, w *statusWriter, r *http.Request, id, ip string) {
	if w.resp != nil {
		w.resp.SetAttributes(semconv.HTTPResponseBodySize(int(w.bytes)))
		w.resp.End()
	}
	if span.IsRecording() {
		path := r.URL.Path
		if len(path) > maxPathAttr {
			path = path[:maxPathAttr]
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		attrs := []attribute.KeyValue{
			semconv.HTTPRequestMethodKey.String(methodOf(r.Method)), semconv.HTTPRoute(w.route),
			semconv.URLPath(path), semconv.URLScheme(scheme),
			semconv.ClientAddress(ip), semconv.UserAgentOriginal(r.UserAgent()),
			attrRequestID.String(id),
			semconv.HTTPResponseStatusCode(w.status), semconv.HTTPResponseBodySize(int(w.bytes)),
			attrAPI.String(w.api), attrProject.String(w.project),
		}
		if w.status >= 500 {
			attrs = append(attrs, semconv.ErrorTypeKey.String(codeOf(w.status)))
			span.SetStatus(otelcodes.Error, "")
		}
		span.SetAttributes(attrs...)
	}
	span.End()
}

// startResponse opens the response's span at its first header or byte.
func (w *statusWriter) startResponse(code int) {
	if w.span == nil || w.resp != nil || code < 200 {
		return
	}
	_, w.resp = w.tracer.Start(trace.ContextWithSpan(context.Background(), w.span), "response",
		trace.WithAttributes(semconv.HTTPResponseStatusCode(code)))
}

// routeTemplate names a request's route for span names and http.route
// with a bounded set of names: the API's prefix, REST's {relation} and
// rpc/{function}, GraphQL's endpoint; in auth, admin and realtime paths,
// the words of their routes are kept and any other segment is {id}. A
// /p/{ref}/ prefix stays as such.
func routeTemplate(path string) string {
	prefix := ""
	if after, ok := strings.CutPrefix(path, "/p/"); ok {
		_, rest, _ := strings.Cut(after, "/")
		prefix, path = "/p/{ref}", "/"+rest
	}
	switch apiOf(path) {
	case "rest":
		rest, ok := strings.CutPrefix(path, "/rest/v1/")
		switch {
		case !ok || rest == "":
			return prefix + "/rest/v1/"
		case strings.HasPrefix(rest, "rpc/"):
			return prefix + "/rest/v1/rpc/{function}"
		}
		return prefix + "/rest/v1/{relation}"
	case "graphql":
		return prefix + "/graphql/v1"
	case "auth", "realtime", "admin":
		return prefix + wordsOnly(path)
	}
	if path == "/" || path == "/healthz" || path == "/readyz" {
		return prefix + path
	}
	return prefix + "/{path}"
}

// wordsOnly keeps a path's segments that are words of mobo's routes and
// names the others {id}, up to 8 segments.
func wordsOnly(path string) string {
	var b strings.Builder
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		if i == 8 {
			b.WriteString("/…")
			break
		}
		b.WriteByte('/')
		switch {
		case s == "" && i == len(segs)-1: // a trailing slash
		case routeWords[s]:
			b.WriteString(s)
		default:
			b.WriteString("{id}")
		}
	}
	return b.String()
}

// routeWords are the fixed segments of the auth, admin and realtime routes.
var routeWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`auth admin realtime v1 health settings .well-known jwks.json signup token user
		logout recover verify otp magiclink resend reauthenticate invite factors challenge users roles
		sessions generate_link keys signing_keys rotate sso saml metadata acs identities authorize
		passkeys callback projects components status metrics migrations up down repair usage
		connection sentinel debug pprof websocket api broadcast events incidents blocks allow
		cmdline heap goroutine profile symbol trace`) {
		m[w] = true
	}
	return m
}()
