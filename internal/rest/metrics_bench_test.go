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
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// BenchmarkMetricsOnOff is what the HTTP metrics cost: GET by primary key
// through the gateway to /rest/v1, at 1 and 32 clients, with the gateway's
// metrics on and off, in alternating rounds in one process. It reports
// the throughputs and the median of the rounds' ratios (on/off; 1 is
// free), and the same for CPU per request. Run it with make bench-metrics.
func BenchmarkMetricsOnOff(b *testing.B) {
	db := pgtest.NewDB(b, template(b))
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `create table bench (id int primary key, name text not null, score int, note text);
		insert into bench select g, 'name ' || g, g % 100, repeat('x', 40) from generate_series(1, 10000) g`); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(db.ConnString)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 10
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	g := testGate()
	g.Pools = poolProjects{pool}
	srv := New(Options{Gate: gate.New(g), Catalog: newCatalog(b, poolProjects{pool}, nil, Config{}, 0)})
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop(ctx)
	off, on := benchGateway(b, srv, nil), benchGateway(b, srv, prometheus.NewRegistry())
	key := token(b, jwt.MapClaims{"role": "anon"})
	cpu := newCPUMeter(b, pool)
	path := func(i int) string { return "/rest/v1/bench?id=eq." + strconv.Itoa(i%10000+1) }
	const rounds = 20
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("pk/c%d", clients), func(b *testing.B) {
			per := max(b.N/rounds, 1)
			var offT, onT time.Duration
			var offCPU, onCPU cpuTime
			ratios, cpuRatios := make([]float64, 0, rounds), make([]float64, 0, rounds)
			for r := range rounds {
				run := func(url string) (time.Duration, cpuTime) {
					c0 := cpu.now()
					d := load(b, url, key, clients, per, func(i int) string { return path(r*per + i) })
					return d, cpu.now().sub(c0)
				}
				var ot, nt time.Duration
				var oc, nc cpuTime
				if r%2 == 0 { // in turn first, so that drift weighs on both alike
					ot, oc = run(off)
					nt, nc = run(on)
				} else {
					nt, nc = run(on)
					ot, oc = run(off)
				}
				offT, onT = offT+ot, onT+nt
				offCPU, onCPU = offCPU.add(oc), onCPU.add(nc)
				ratios = append(ratios, ot.Seconds()/nt.Seconds())
				cpuRatios = append(cpuRatios, (oc.proc+oc.pg).Seconds()/(nc.proc+nc.pg).Seconds())
			}
			total := float64(per * rounds)
			b.ReportMetric(total/offT.Seconds(), "off-req/s")
			b.ReportMetric(total/onT.Seconds(), "on-req/s")
			b.ReportMetric(medianOf(ratios), "median-ratio")
			if cpu.ok() {
				b.ReportMetric(medianOf(cpuRatios), "median-cpu-ratio")
			}
			if b.N > 1 {
				b.Logf("pk c=%-2d metrics off %6.0f req/s  on %6.0f req/s  median ratio (on/off) of %d rounds: throughput %.3f, cpu %.3f",
					clients, total/offT.Seconds(), total/onT.Seconds(), rounds, medianOf(ratios), medianOf(cpuRatios))
			}
		})
	}
}

// benchGateway serves srv's REST API through a gateway, measured into reg
// unless it is nil, and returns its URL.
func benchGateway(b *testing.B, srv *Server, reg prometheus.Registerer) string {
	b.Helper()
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if reg != nil {
		if err := gw.SetMetrics(reg); err != nil {
			b.Fatal(err)
		}
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
