// Package tracing is mobo's OpenTelemetry tracing: the [Provider] that
// exports spans by OTLP over HTTP when [Config.Endpoint] is set, the
// [LogHandler] that puts a request's trace id in every log line, and
// [Child], with which components open a span only under a request's span
// that records.
//
// It is a library, not a component, and keeps no global state: cmd/mobo
// builds one Provider and hands its [Provider.TracerProvider] to what
// traces (the gateway's server span per request, the gate's spans of
// authentication, authorization, the connection wait and the SQL round
// trip); it never sets OpenTelemetry's global provider, propagator or
// error handler. A component given no provider traces nothing.
//
// Off (no endpoint) the provider is OpenTelemetry's no-op and the gateway
// is not given it at all, so a request pays nothing. On, every traced
// request gets a span context (its trace id is in the answer's X-Trace-Id
// and traceparent headers and in its log lines), but only sampled traces
// ([Config.SampleRatio], or the caller's decision in an incoming
// traceparent) record and export spans; the gate's child spans are not
// even started for the others.
//
// Concurrency: a Provider is safe for concurrent use; [Provider.Shutdown]
// flushes the spans not yet exported and is idempotent.
package tracing
