package rest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// benchServer is the benchmarks' REST server on a table of 10,000 rows
// (bench), with the pool it runs on (10 connections, as a project's); both
// end with b.
func benchServer(b *testing.B, setup ...func(*gate.Options)) (*pgxpool.Pool, *Server) {
	b.Helper()
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
	cfg.MaxConns = 10 // as the tenant component's project pools
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	g := testGate()
	g.Pools = poolProjects{pool}
	for _, f := range setup {
		f(&g)
	}
	srv := New(Options{Gate: gate.New(g), Catalog: newCatalog(b, poolProjects{pool}, nil, Config{}, 0)})
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return pool, srv
}

// BenchmarkRESTvsBaseline compares, in one run, GET-by-primary-key and
// list-20-rows through /rest/v1 with two baseline handlers, at 1 and 32
// concurrent clients, over loopback HTTP: one runs the same SQL as REST
// with pgx and writes the result out (what the request path adds: the
// gate, the transaction, the role switch and request settings), the other
// only a bare SELECT building the same JSON (what a hand-written handler
// would run). Each sub-benchmark reports the throughputs and the ratios.
// Run it with a bounded count: make bench-rest.
func BenchmarkRESTvsBaseline(b *testing.B) {
	ctx := context.Background()
	pool, srv := benchServer(b)
	sc, err := srv.schema(ctx, "default")
	if err != nil {
		b.Fatal(err)
	}
	compiled := func(query string) string {
		st, err := compileFor(sc, &Config{}, "GET", "/bench", query, nil, "")
		if err != nil {
			b.Fatal(err)
		}
		return st.SQL
	}
	pkSQL, listSQL := compiled("id=eq.1"), compiled("limit=20")

	mux := http.NewServeMux()
	mux.Handle("/rest/v1/", srv.Handler())
	baseline := func(sql string, arg func(*http.Request) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var (
				total *int64
				n     int64
				body  []byte
				loc   []string
				ins   *bool
			)
			if err := pool.QueryRow(r.Context(), sql, arg(r)).Scan(&total, &n, &body, &loc, &ins); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		}
	}
	mux.Handle("/base/pk", baseline(pkSQL, func(r *http.Request) any { return r.URL.Query().Get("id") }))
	mux.Handle("/base/list", baseline(listSQL, func(*http.Request) any { return int64(20) }))
	bare := func(sql string, arg func(*http.Request) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body []byte
			if err := pool.QueryRow(r.Context(), sql, arg(r)).Scan(&body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		}
	}
	mux.Handle("/bare/pk", bare(`select coalesce(json_agg(b), '[]') from bench b where id = $1::int`, func(r *http.Request) any { return r.URL.Query().Get("id") }))
	mux.Handle("/bare/list", bare(`select coalesce(json_agg(b), '[]') from (select * from bench limit $1) b`, func(*http.Request) any { return int64(20) }))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	key := token(b, jwt.MapClaims{"role": "anon"})

	shapes := []struct {
		name             string
		rest, base, bare func(i int) string
	}{
		{
			"pk", func(i int) string { return "/rest/v1/bench?id=eq." + strconv.Itoa(i%10000+1) },
			func(i int) string { return "/base/pk?id=" + strconv.Itoa(i%10000+1) }, func(i int) string { return "/bare/pk?id=" + strconv.Itoa(i%10000+1) },
		},
		{"list20", func(int) string { return "/rest/v1/bench?limit=20" }, func(int) string { return "/base/list" }, func(int) string { return "/bare/list" }},
	}
	// Baseline and REST run in alternating rounds so that load from other
	// processes on the machine weighs on both alike; the median of the
	// rounds' ratios is the figure least moved by a burst of such load.
	const rounds = 20
	cpu := newCPUMeter(b, pool)
	for _, sh := range shapes {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/c%d", sh.name, clients), func(b *testing.B) {
				per := max(b.N/rounds, 1)
				var bareT, baseT, restT time.Duration
				var bareCPU, baseCPU, restCPU cpuTime
				ratios := make([]float64, 0, rounds)
				bareRatios := make([]float64, 0, rounds)
				for r := range rounds {
					off := r * per
					c0 := cpu.now()
					bt := load(b, hs.URL, key, clients, per, func(i int) string { return sh.base(off + i) })
					c1 := cpu.now()
					rt := load(b, hs.URL, key, clients, per, func(i int) string { return sh.rest(off + i) })
					c2 := cpu.now()
					xt := load(b, hs.URL, key, clients, per, func(i int) string { return sh.bare(off + i) })
					c3 := cpu.now()
					bareT, baseT, restT = bareT+xt, baseT+bt, restT+rt
					baseCPU, restCPU, bareCPU = baseCPU.add(c1.sub(c0)), restCPU.add(c2.sub(c1)), bareCPU.add(c3.sub(c2))
					ratios = append(ratios, bt.Seconds()/rt.Seconds())
					bareRatios = append(bareRatios, xt.Seconds()/rt.Seconds())
				}
				median := func(rs []float64) float64 {
					slices.Sort(rs)
					return (rs[(rounds-1)/2] + rs[rounds/2]) / 2
				}
				total := float64(per * rounds)
				bareRate, base, rest := total/bareT.Seconds(), total/baseT.Seconds(), total/restT.Seconds()
				b.ReportMetric(base, "baseline-req/s")
				b.ReportMetric(bareRate, "bare-req/s")
				b.ReportMetric(rest, "rest-req/s")
				b.ReportMetric(rest/base, "ratio")
				b.ReportMetric(median(ratios), "median-ratio")
				b.ReportMetric(median(bareRatios), "median-bare-ratio")
				// CPU per request of this process (server and clients) and
				// of PostgreSQL: what throughput comes to on a machine
				// whose cores are all busy, and unmoved by other load.
				us := func(d time.Duration) float64 { return d.Seconds() * 1e6 / total }
				bareUS, baseUS, restUS := us(bareCPU.proc+bareCPU.pg), us(baseCPU.proc+baseCPU.pg), us(restCPU.proc+restCPU.pg)
				if cpu.ok() {
					b.ReportMetric(baseUS/restUS, "cpu-ratio")
					b.ReportMetric(bareUS/restUS, "cpu-bare-ratio")
				}
				if b.N > 1 {
					b.Logf("%-7s c=%-2d same-SQL baseline %6.0f req/s  bare SELECT %6.0f req/s  rest %6.0f req/s  median ratio of %d rounds: to same-SQL %.2f, to bare %.2f",
						sh.name, clients, base, bareRate, rest, rounds, median(ratios), median(bareRatios))
					b.Logf("%-7s c=%-2d cpu/req (go+pg) same-SQL %.0fµs (%.0f+%.0f)  bare %.0fµs (%.0f+%.0f)  rest %.0fµs (%.0f+%.0f)  cpu ratio: to same-SQL %.2f, to bare %.2f",
						sh.name, clients, baseUS, us(baseCPU.proc), us(baseCPU.pg), bareUS, us(bareCPU.proc), us(bareCPU.pg),
						restUS, us(restCPU.proc), us(restCPU.pg), baseUS/restUS, bareUS/restUS)
				}
			})
		}
	}
}

// load sends n GETs from clients goroutines and returns the time taken.
func load(b *testing.B, base, key string, clients, n int, path func(int) string) time.Duration {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, _ := http.NewRequest(http.MethodGet, base+path(i), nil) //nolint:noctx // a benchmark
				req.Header.Set("apikey", key)
				res, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Store(fmt.Errorf("status %d", res.StatusCode))
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return elapsed
}

// cpuMeter adds up the CPU time of this process and of the PostgreSQL
// cluster's processes (the postmaster's children, read from /proc; a test
// binary has its cluster to itself). Without /proc it counts this process
// alone, and ok is false.
type cpuMeter struct {
	postmaster int
}

func newCPUMeter(b *testing.B, pool *pgxpool.Pool) *cpuMeter {
	b.Helper()
	var backend int
	if err := pool.QueryRow(context.Background(), "select pg_backend_pid()").Scan(&backend); err != nil {
		b.Fatal(err)
	}
	ppid, _, ok := procStat(backend)
	if !ok {
		return &cpuMeter{}
	}
	return &cpuMeter{postmaster: ppid}
}

func (m *cpuMeter) ok() bool { return m.postmaster != 0 }

// cpuTime is CPU time of this process and of PostgreSQL.
type cpuTime struct{ proc, pg time.Duration }

func (a cpuTime) add(b cpuTime) cpuTime { return cpuTime{a.proc + b.proc, a.pg + b.pg} }
func (a cpuTime) sub(b cpuTime) cpuTime { return cpuTime{a.proc - b.proc, a.pg - b.pg} }

func (m *cpuMeter) now() cpuTime {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := cpuTime{proc: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if m.postmaster == 0 {
		return t
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, c, ok := procStat(pid); ok && (ppid == m.postmaster || pid == m.postmaster) {
			t.pg += c
		}
	}
	return t
}

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procStat reads a process's parent and CPU time: from schedstat in
// nanoseconds where the kernel keeps it, else from stat in clock ticks.
func procStat(pid int) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	if ss, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat"); err == nil {
		if run, _, found := strings.Cut(string(ss), " "); found {
			if ns, err := strconv.ParseInt(run, 10, 64); err == nil {
				return ppid, time.Duration(ns), true
			}
		}
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return ppid, time.Duration(utime+stime) * clockTick, true
}
