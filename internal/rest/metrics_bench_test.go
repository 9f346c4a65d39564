package rest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflock/mobo/internal/gateway"
)

// BenchmarkMetricsOnOff is what the HTTP metrics cost: GET by primary key
// through the gateway to /rest/v1, at 1 and 32 clients, with the gateway's
// metrics on and off, in alternating rounds in one process. It reports
// the throughputs and the median of the rounds' ratios (on/off; 1 is
// free), the same for CPU per request, and the ratio of two gateways
// without metrics (the noise floor). Run it with make bench-metrics.
func BenchmarkMetricsOnOff(b *testing.B) {
	pool, srv := benchServer(b)
	// Three gateways: metrics off, on, and off again, a control whose
	// ratio to the first is the measurement's noise floor.
	gws := [3]string{benchGateway(b, srv, nil), benchGateway(b, srv, prometheus.NewRegistry()), benchGateway(b, srv, nil)}
	key := token(b, jwt.MapClaims{"role": "anon"})
	cpu := newCPUMeter(b, pool)
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("pk/c%d", clients), func(b *testing.B) {
			onOff(b, "metrics", gws, key, clients, cpu)
		})
	}
}

// onOff runs the rounds of BenchmarkMetricsOnOff at clients clients: in
// each, every gateway serves b.N/rounds GETs, each gateway first in turn
// so that drift weighs on all alike.
func onOff(b *testing.B, what string, gws [3]string, key string, clients int, cpu *cpuMeter) {
	const rounds = 21
	per := max(b.N/rounds, 1)
	path := func(i int) string { return "/rest/v1/bench?id=eq." + strconv.Itoa(i%10000+1) }
	var took [3]time.Duration
	var ratios, control, cpuRatios []float64
	for r := range rounds {
		var d [3]time.Duration
		var c [3]cpuTime
		for k := range gws {
			i := (r + k) % len(gws)
			c0 := cpu.now()
			d[i] = load(b, gws[i], key, clients, per, func(j int) string { return path(r*per + j) })
			c[i] = cpu.now().sub(c0)
			took[i] += d[i]
		}
		ratios = append(ratios, d[0].Seconds()/d[1].Seconds())
		control = append(control, d[0].Seconds()/d[2].Seconds())
		cpuRatios = append(cpuRatios, (c[0].proc+c[0].pg).Seconds()/(c[1].proc+c[1].pg).Seconds())
	}
	total := float64(per * rounds)
	b.ReportMetric(total/took[0].Seconds(), "off-req/s")
	b.ReportMetric(total/took[1].Seconds(), "on-req/s")
	b.ReportMetric(medianOf(ratios), "median-ratio")
	b.ReportMetric(medianOf(control), "median-control-ratio")
	if cpu.ok() {
		b.ReportMetric(medianOf(cpuRatios), "median-cpu-ratio")
	}
	if b.N > 1 {
		b.Logf("pk c=%-2d %s off %6.0f req/s  on %6.0f req/s  median ratio (on/off) of %d rounds: throughput %.3f, cpu %.3f; control (off/off) %.3f",
			clients, what, total/took[0].Seconds(), total/took[1].Seconds(), rounds, medianOf(ratios), medianOf(cpuRatios), medianOf(control))
	}
}

// benchGateway serves srv's REST API through a gateway, measured into reg
// unless it is nil and set up further by setup, and returns its URL.
func benchGateway(b *testing.B, srv *Server, reg prometheus.Registerer, setup ...func(*gateway.Gateway)) string {
	b.Helper()
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if reg != nil {
		if err := gw.SetMetrics(reg); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range setup {
		f(gw)
	}
	gw.Handle("/rest/v1/", srv.Handler())
	if err := gw.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.Stop(context.Background()) })
	return gw.URL()
}

func medianOf(rs []float64) float64 {
	s := slices.Clone(rs)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
