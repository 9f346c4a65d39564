package rest

import (
	"context"
	"fmt"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// BenchmarkTracingOnOff is what tracing costs: GET by primary key through
// the gateway to /rest/v1, at 1 and 32 clients, with tracing on (the
// default sample ratio, spans exported by OTLP/HTTP to a receiver in this
// process, which reads them as a collector would but leaves decoding
// them, the collector's work, out) and off,
// in alternating rounds in one process, as [BenchmarkMetricsOnOff]
// measures metrics; the off/off control ratio is the noise floor. The
// three gateways share one REST server whose gate has the tracer: under
// the gateways that do not trace it finds no request span and starts
// nothing, as in a process with tracing off. Run it with make
// bench-tracing.
func BenchmarkTracingOnOff(b *testing.B) {
	rcv := tracingtest.NewSink(b)
	tp, err := tracing.New(tracing.Config{Endpoint: rcv.URL()}, tracing.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pool, srv := benchServer(b, func(o *gate.Options) { o.Tracer = tp.TracerProvider() })
	traced := func(gw *gateway.Gateway) { gw.SetTracer(tp.TracerProvider()) }
	gws := [3]string{benchGateway(b, srv, nil), benchGateway(b, srv, nil, traced), benchGateway(b, srv, nil)}
	key := token(b, jwt.MapClaims{"role": "anon"})
	cpu := newCPUMeter(b, pool)
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("pk/c%d", clients), func(b *testing.B) {
			onOff(b, "tracing", gws, key, clients, cpu)
		})
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("spans exported: %d exports, %d bytes", rcv.Requests(), rcv.Bytes())
}
