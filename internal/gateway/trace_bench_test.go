package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// BenchmarkTraceRequest is what tracing adds to one request in the
// gateway, without the network and the database: off, and on at the
// default ratio exporting to an in-process receiver, and on with no trace
// sampled (what every request pays).
func BenchmarkTraceRequest(b *testing.B) {
	rcv := tracingtest.NewSink(b)
	for _, mode := range []string{"off", "on", "unsampled"} {
		b.Run(mode, func(b *testing.B) {
			g := New(Config{}, slog.New(slog.DiscardHandler))
			if mode != "off" {
				cfg := tracing.Config{Endpoint: rcv.URL()}
				if mode == "unsampled" {
					cfg.SampleRatio = 1e-12
				}
				tp, err := tracing.New(cfg, tracing.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				g.SetTracer(tp.TracerProvider())
			}
			h := g.withRequestID(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				label(w, "rest", "default")
				_, _ = io.WriteString(w, `[{"id":1}]`)
			}))
			r := httptest.NewRequest(http.MethodGet, "/rest/v1/bench?id=eq.1", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}
