package rest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/authn"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// BenchmarkRESTvsBaseline compares, in one run, GET-by-primary-key and
// list-20-rows through /rest/v1 with a baseline handler that runs the same
// SQL with pgx and writes the result out, at 1 and 32 concurrent clients,
// over loopback HTTP. Each sub-benchmark reports both throughputs and their
// ratio. Run it with a bounded count: make bench-rest.
func BenchmarkRESTvsBaseline(b *testing.B) {
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
	defer pool.Close()

	srv := New(Options{Projects: poolProjects{pool}, Authenticator: &authn.SecretAuthenticator{
		Secret: func(string) (string, error) { return testSecret, nil }, AnonymousRole: "anon",
	}})
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop(ctx)
	p, err := srv.project(ctx, "default")
	if err != nil {
		b.Fatal(err)
	}
	compiled := func(query string) string {
		st, err := compileFor(p.current(), &Config{}, "GET", "/bench", query, nil, "")
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
			)
			if err := pool.QueryRow(r.Context(), sql, arg(r)).Scan(&total, &n, &body, &loc); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		}
	}
	mux.Handle("/base/pk", baseline(pkSQL, func(r *http.Request) any { return r.URL.Query().Get("id") }))
	mux.Handle("/base/list", baseline(listSQL, func(*http.Request) any { return int64(20) }))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	key := token(b, jwt.MapClaims{"role": "anon"})

	shapes := []struct {
		name       string
		rest, base func(i int) string
	}{
		{"pk", func(i int) string { return "/rest/v1/bench?id=eq." + strconv.Itoa(i%10000+1) }, func(i int) string { return "/base/pk?id=" + strconv.Itoa(i%10000+1) }},
		{"list20", func(int) string { return "/rest/v1/bench?limit=20" }, func(int) string { return "/base/list" }},
	}
	// Baseline and REST run in alternating rounds so that load from other
	// processes on the machine weighs on both alike; the median of the
	// rounds' ratios is the figure least moved by a burst of such load.
	const rounds = 20
	for _, sh := range shapes {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/c%d", sh.name, clients), func(b *testing.B) {
				per := max(b.N/rounds, 1)
				var baseT, restT time.Duration
				ratios := make([]float64, 0, rounds)
				for r := range rounds {
					off := r * per
					bt := load(b, hs.URL, key, clients, per, func(i int) string { return sh.base(off + i) })
					rt := load(b, hs.URL, key, clients, per, func(i int) string { return sh.rest(off + i) })
					baseT, restT = baseT+bt, restT+rt
					ratios = append(ratios, bt.Seconds()/rt.Seconds())
				}
				slices.Sort(ratios)
				median := (ratios[(rounds-1)/2] + ratios[rounds/2]) / 2
				total := float64(per * rounds)
				base, rest := total/baseT.Seconds(), total/restT.Seconds()
				b.ReportMetric(base, "baseline-req/s")
				b.ReportMetric(rest, "rest-req/s")
				b.ReportMetric(rest/base, "ratio")
				b.ReportMetric(median, "median-ratio")
				if b.N > 1 {
					b.Logf("%-7s c=%-2d baseline %8.0f req/s  rest %8.0f req/s  ratio %.2f  median of %d rounds %.2f",
						sh.name, clients, base, rest, rest/base, rounds, median)
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
