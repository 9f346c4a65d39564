package gate

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The gate's span attributes of mobo's own. A span names no user, key or
// token, only the principal's database role and what it asked to do.
const (
	attrRole    = attribute.Key("mobo.role")
	attrAction  = attribute.Key("mobo.action")  // the first: "rest read public.todos"
	attrActions = attribute.Key("mobo.actions") // how many
	attrRetried = attribute.Key("mobo.retried") // parsed too early, run again
)

// dbSystemLegacy is db.system, which older tracing backends read, beside
// the current db.system.name.
var dbSystemLegacy = attribute.String("db.system", "postgresql")

// endSpan ends a gate span, marking an error with its message (the gate's
// errors name roles, actions and relations, never values).
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// startSQL opens the span of a statement's round trip when ctx's span
// records; else it returns ctx and nil.
func (d *Decision) startSQL(ctx context.Context, p Plan) (context.Context, trace.Span) {
	if d.g.tracer == nil {
		return ctx, nil
	}
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, nil
	}
	op := operationOf(p.SQL, d.acts)
	name := op
	attrs := []attribute.KeyValue{semconv.DBSystemNamePostgreSQL, dbSystemLegacy, semconv.DBOperationName(op)}
	if len(d.acts) == 1 && d.acts[0].Relation != "" {
		target := d.acts[0].Schema + "." + d.acts[0].Relation
		name += " " + target
		attrs = append(attrs, semconv.DBCollectionName(target))
	}
	if d.g.statements {
		attrs = append(attrs, semconv.DBQueryText(p.SQL))
	}
	_, span := d.g.tracer.Start(trace.ContextWithSpan(context.Background(), parent), name, // as tracing.Child
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return trace.ContextWithSpan(ctx, span), span
}

// endSQL ends a statement's span. An error is named by its SQLSTATE only:
// PostgreSQL's messages may quote a request's values.
func endSQL(span trace.Span, retried bool, err error) {
	if retried {
		span.SetAttributes(attrRetried.Bool(true))
	}
	if err != nil {
		kind := "_OTHER"
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe):
			kind = pe.Code
			span.SetAttributes(semconv.DBResponseStatusCode(pe.Code))
		case errors.Is(err, context.Canceled):
			kind = "canceled"
		case errors.Is(err, context.DeadlineExceeded):
			kind = "timeout"
		case IsForbidden(err):
			kind = "forbidden"
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, kind)
	}
	span.End()
}

// operationOf names a statement's operation from its first keyword (the
// one inside a leading WITH … AS (, as REST's writes are), or from the
// decision's action when the text does not say.
func operationOf(sql string, acts []Action) string {
	word := firstWord(sql)
	if word == "WITH" {
		if i := strings.Index(strings.ToUpper(sql[:min(len(sql), 200)]), " AS ("); i >= 0 {
			word = firstWord(sql[i+len(" AS ("):])
		}
	}
	switch word {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "CALL", "EXPLAIN":
		return word
	}
	if len(acts) > 0 {
		switch acts[0].Op {
		case OpRead, OpExecute:
			return "SELECT"
		case OpDelete:
			return "DELETE"
		}
	}
	return "QUERY"
}

func firstWord(s string) string {
	s = strings.TrimLeft(s, " \t\r\n(")
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(s)
	}
	if end > 8 {
		return ""
	}
	return strings.ToUpper(s[:end])
}
