// Command projectbench measures what many projects cost one `mobo serve`: it
// starts the real binary on a temp data dir, creates -projects projects one
// after another through the admin API (timing each), gives each a small
// table, sends one REST request to each in turn, then reports
//
//   - project creation time (median, p95, total);
//   - memory per idle project: mobo's RSS growth over the projects and its
//     live heap's (the admin status' runtime section: what the last garbage
//     collection kept, free of the lag with which RSS falls), measured once
//     the pools have reaped their idle connections (and right after the
//     requests, for comparison), with PostgreSQL's own memory (PSS) apart;
//     -heap-profile saves mobo's heap profile at that point;
//   - the connections held to PostgreSQL, right after the requests and idle;
//   - the throughput of REST GETs by primary key spread round-robin over
//     -spread projects against the same on one project, measured alternately
//     three times each; the ratio of the medians shows what routing and one
//     pool per project cost (goal ≥ 0.9);
//   - the same ratio for PostgreSQL alone, as a baseline run in the same
//     rounds: bare pgx pools (one per project database, of the projects'
//     default size) sending the statements a REST GET sends (the request
//     settings, then the select), with no HTTP. Spreading load over many
//     databases costs PostgreSQL itself: a backend serves one database, so
//     more of them take turns and each finds the CPU caches colder.
//
// Loopback only; it stops mobo with SIGINT and removes its temp dir.
//
//	go run ./cmd/projectbench -bin bin/mobo -projects 200 -spread 50 -requests 20000 -clients 32
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/benchkit"
	"github.com/magflock/mobo/internal/tenant"
)

const rounds = 3 // alternated throughput measurements of each kind

type options struct {
	bin      string
	projects int
	spread   int
	requests int
	clients  int
	idleWait time.Duration
	settle   time.Duration
	timeout  time.Duration
	heapOut  string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/mobo", "the mobo binary")
	flag.IntVar(&o.projects, "projects", 200, "projects to create")
	flag.IntVar(&o.spread, "spread", 50, "projects the spread throughput run goes round")
	flag.IntVar(&o.requests, "requests", 20000, "REST GETs per throughput measurement")
	flag.IntVar(&o.clients, "clients", 32, "concurrent HTTP clients in the throughput runs")
	flag.DurationVar(&o.settle, "settle", 150*time.Second, "the idle figures are taken no sooner than this after the requests (RSS shrinks as Go returns freed memory: a fixed time keeps runs comparable)")
	flag.DurationVar(&o.idleWait, "idle-wait", 150*time.Second, "longest wait for the pools to reap their idle connections (short: quicker runs, idle figures of the moment)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "give up after this long")
	flag.StringVar(&o.heapOut, "heap-profile", "", "write mobo's heap profile once idle to this file (go tool pprof -sample_index=inuse_space FILE)")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "projectbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "projectbench:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.projects < 1 || o.projects > 1000:
		return errors.New("-projects must be 1 to 1000")
	case o.spread < 1 || o.spread > o.projects:
		return errors.New("-spread must be 1 to -projects")
	case o.requests < 1 || o.requests > 10_000_000:
		return errors.New("-requests must be 1 to 10000000")
	case o.clients < 1 || o.clients > 1000:
		return errors.New("-clients must be 1 to 1000")
	}
	return nil
}

// project is a created project as the bench uses it.
type project struct {
	ref     string
	anonKey string
	itemURL string // GET of the row with id 1
}

func run(ctx context.Context, o options) (err error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	bin, err := benchkit.MoboBinary(o.bin)
	if err != nil {
		return err
	}
	dir, err := benchkit.DataDir("projectbench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	bm, err := benchkit.StartMobo(ctx, bin, dir, "--log-level", "warn")
	if err != nil {
		return err
	}
	m := &mobo{bm}
	defer func() {
		if serr := m.Stop(); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			err = fmt.Errorf("%w\nmobo's last errors:\n%s\nmobo's last output:\n%s", err, m.Out().GrepTail(`"level":"ERROR"`, 10), m.Out().Tail(10))
		}
	}()
	fmt.Printf("mobo %s (pid %d) on %s, data dir %s\n", filepath.Base(bin), m.PID(), m.URL(), dir)

	su, err := m.superuser(ctx, "proj_default")
	if err != nil {
		return err
	}
	defer su.Close(context.WithoutCancel(ctx))

	base, err := m.snapshot(ctx, su)
	if err != nil {
		return err
	}
	var maxConns, slots, senders string
	if err := su.QueryRow(ctx, `select current_setting('max_connections'), current_setting('max_replication_slots'), current_setting('max_wal_senders')`).
		Scan(&maxConns, &slots, &senders); err != nil {
		return fmt.Errorf("reading the cluster's settings: %w", err)
	}
	fmt.Printf("cluster: max_connections %s, max_replication_slots %s, max_wal_senders %s\n", maxConns, slots, senders)
	fmt.Printf("\nat start (default project only): %s\n", base)

	// Creation, sequential as an operator would do it.
	fmt.Printf("\ncreating %d projects…\n", o.projects)
	projects := make([]project, 0, o.projects)
	created := make([]time.Duration, 0, o.projects)
	t0 := time.Now()
	for i := range o.projects {
		ref := fmt.Sprintf("bench-%04d", i+1)
		start := time.Now()
		p, err := m.newProject(ctx, ref)
		if err != nil {
			return fmt.Errorf("project %d of %d: %w", i+1, o.projects, err)
		}
		created = append(created, time.Since(start))
		projects = append(projects, p)
		if (i+1)%50 == 0 {
			fmt.Printf("  %d created (%v)\n", i+1, time.Since(t0).Round(time.Millisecond))
		}
	}
	createTotal := time.Since(t0)

	// A table with one row in each, as the cluster superuser.
	t0 = time.Now()
	for _, p := range projects {
		if err := m.addTable(ctx, p.ref); err != nil {
			return err
		}
	}
	tableTotal := time.Since(t0)
	afterCreate, err := m.snapshot(ctx, su)
	if err != nil {
		return err
	}

	// One request to each project in turn: the first request opens the
	// project's pool and its first connection.
	first := make([]time.Duration, 0, len(projects))
	retried := 0
	t0 = time.Now()
	for i, p := range projects {
		d, tries, err := m.firstGet(ctx, p)
		if err != nil {
			return fmt.Errorf("first request to project %d of %d: %w", i+1, len(projects), err)
		}
		first = append(first, d)
		if tries > 1 {
			retried++
		}
	}
	firstTotal := time.Since(t0)
	afterRequests, err := m.snapshot(ctx, su)
	if err != nil {
		return err
	}

	fmt.Printf("\nproject creation (POST /admin/v1/projects, sequential, %d projects)\n", o.projects)
	fmt.Printf("  median %v   p95 %v   max %v   total %v (%.1f projects/s)\n",
		pct(created, 50), pct(created, 95), pct(created, 100), createTotal.Round(time.Millisecond),
		float64(o.projects)/createTotal.Seconds())
	fmt.Printf("  (creating a table with a row in each, as superuser: %v in all)\n", tableTotal.Round(time.Millisecond))
	fmt.Printf("\none GET /p/{ref}/rest/v1/items?id=eq.1 to each project in turn (first request: opens its pool)\n")
	fmt.Printf("  median %v   p95 %v   max %v   total %v; %d of %d needed a retry (schema not yet reloaded)\n",
		pct(first, 50), pct(first, 95), pct(first, 100), firstTotal.Round(time.Millisecond), retried, len(projects))
	fmt.Printf("\nafter creating %d projects:      %s\n", o.projects, afterCreate)
	fmt.Printf("right after one request to each: %s\n", afterRequests)

	// Idle: wait for the pools to close their idle connections. Pools
	// close a connection idle for a minute at their next health check: every
	// 15 s for the project pools, every minute (pgx's default) for the
	// auth pools, hence the limit of 2.5 minutes.
	fmt.Printf("\nwaiting for the pools to reap their idle connections (up to %v)…\n", o.idleWait)
	t0 = time.Now()
	idle, err := m.waitIdle(ctx, su, base, o.idleWait)
	if err != nil {
		return err
	}
	// RSS falls as Go's scavenger returns freed memory, minutes after it
	// was freed: sampled at a fixed time after the requests, two binaries'
	// figures compare; sampled when the connections drop, they do not.
	if rest := o.settle - time.Since(t0); rest > 0 {
		fmt.Printf("settling %v more before the idle figures…\n", rest.Round(time.Second))
		time.Sleep(rest)
		if idle, err = m.snapshot(ctx, su); err != nil {
			return err
		}
	}
	fmt.Printf("idle after %v:                   %s\n", time.Since(t0).Round(time.Second), idle)
	if o.heapOut != "" {
		if err := m.saveHeapProfile(ctx, o.heapOut); err != nil {
			return err
		}
	}
	usageConns, err := m.usageConnections(ctx, projects)
	if err != nil {
		return err
	}
	n := float64(o.projects)
	fmt.Printf("\nper idle project (%d projects, against the start):\n", o.projects)
	fmt.Printf("  mobo RSS:            %s right after the requests, %s once idle\n",
		perProject(afterRequests.moboRSS-base.moboRSS, n), perProject(idle.moboRSS-base.moboRSS, n))
	fmt.Printf("  mobo live heap:      %s right after the requests, %s once idle\n",
		perProject(afterRequests.heapLive-base.heapLive, n), perProject(idle.heapLive-base.heapLive, n))
	fmt.Printf("  PostgreSQL PSS:      %s right after the requests, %s once idle\n",
		perProject(afterRequests.pgPSS-base.pgPSS, n), perProject(idle.pgPSS-base.pgPSS, n))
	fmt.Printf("  connections idle:    %d held by project pools (%d at start), %d client backends in all; usage API sums %d\n",
		idle.poolConns, base.poolConns, idle.clientConns, usageConns)

	// Throughput: spread over -spread projects against one project,
	// alternated, after a warm-up of each; through mobo, then PostgreSQL
	// alone.
	spread, single := projects[:o.spread], projects[:1]
	h := newLoader(o.clients)
	b, err := m.newBare(ctx, spread)
	if err != nil {
		return err
	}
	defer b.close()
	warm := max(o.requests/10, min(o.requests, 1000))
	fmt.Printf("\nthroughput: %d GETs by %d clients, spread over %d projects vs on one project (warm-up %d each)\n",
		o.requests, o.clients, o.spread, warm)
	kinds := []struct {
		name string
		do   func(ctx context.Context, i int) error
	}{
		{"mobo spread", h.get(spread)},
		{"mobo one project", h.get(single)},
		{"bare spread", b.query(len(spread))},
		{"bare one project", b.query(1)},
	}
	for _, k := range kinds {
		if _, err := load(ctx, o.clients, warm, k.do); err != nil {
			return fmt.Errorf("warm-up %s: %w", k.name, err)
		}
	}
	// run is one measurement, with the connections PostgreSQL accepted
	// meanwhile (churn: pools reconnecting under the connection budget).
	run := func(do func(ctx context.Context, i int) error) (loadResult, error) {
		before, err := sessions(ctx, su)
		if err != nil {
			return loadResult{}, err
		}
		moboCPU0, pgCPU0, err := m.cpu()
		if err != nil {
			return loadResult{}, err
		}
		res, err := load(ctx, o.clients, o.requests, do)
		if err != nil {
			return res, err
		}
		moboCPU1, pgCPU1, err := m.cpu()
		if err != nil {
			return loadResult{}, err
		}
		res.moboCPU = (moboCPU1 - moboCPU0) / time.Duration(res.n)
		res.pgCPU = (pgCPU1 - pgCPU0) / time.Duration(res.n)
		after, err := sessions(ctx, su)
		res.conns = after - before
		return res, err
	}
	results := make([][]loadResult, len(kinds))
	for r := range rounds {
		fmt.Printf("  round %d:\n", r+1)
		for i, k := range kinds {
			res, err := run(k.do)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", k.name, r+1, err)
			}
			results[i] = append(results[i], res)
			fmt.Printf("    %-16s %s\n", k.name, res)
		}
	}
	rate := func(i int) float64 { return medianRate(results[i]) }
	fmt.Printf("  median through mobo:      spread %.0f req/s   one project %.0f req/s   ratio %.2f (goal ≥ 0.9)\n", rate(0), rate(1), rate(0)/rate(1))
	fmt.Printf("  median, PostgreSQL alone: spread %.0f req/s   one project %.0f req/s   ratio %.2f\n", rate(2), rate(3), rate(2)/rate(3))
	fmt.Printf("  mobo's ratio over PostgreSQL's own: %.2f (what routing and pooling add to PostgreSQL's cost of many databases)\n",
		rate(0)/rate(1)/(rate(2)/rate(3)))
	moboCPU := func(r loadResult) time.Duration { return r.moboCPU }
	pgCPU := func(r loadResult) time.Duration { return r.pgCPU }
	fmt.Printf("  CPU per request through mobo (median): spread mobo %v + postgres %v | one project mobo %v + postgres %v\n",
		median(results[0], moboCPU).Round(time.Microsecond), median(results[0], pgCPU).Round(time.Microsecond),
		median(results[1], moboCPU).Round(time.Microsecond), median(results[1], pgCPU).Round(time.Microsecond))
	fmt.Printf("  PostgreSQL's CPU per request alone (median): spread %v | one project %v\n",
		median(results[2], pgCPU).Round(time.Microsecond), median(results[3], pgCPU).Round(time.Microsecond))
	loaded, err := m.snapshot(ctx, su)
	if err != nil {
		return err
	}
	fmt.Printf("  after the runs: %s\n", loaded)
	return nil
}

// sessions is the number of connections PostgreSQL has accepted so far.
func sessions(ctx context.Context, su *pgx.Conn) (int64, error) {
	var n int64
	err := su.QueryRow(ctx, "select coalesce(sum(sessions), 0)::bigint from pg_stat_database").Scan(&n)
	return n, err
}

// mobo is the running server, with what this bench asks of it besides.
type mobo struct{ *benchkit.Mobo }

// newProject creates project ref through the admin API and returns it as
// the bench uses it.
func (m *mobo) newProject(ctx context.Context, ref string) (project, error) {
	anonKey, err := m.CreateProject(ctx, ref)
	if err != nil {
		return project{}, err
	}
	return project{ref: ref, anonKey: anonKey, itemURL: m.URL() + "/p/" + ref + "/rest/v1/items?id=eq.1"}, nil
}

// superuser connects to database as the cluster's superuser.
func (m *mobo) superuser(ctx context.Context, database string) (*pgx.Conn, error) {
	dsn, err := m.DatabaseURL(database, "projectbench")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as superuser: %w", database, err)
	}
	return conn, nil
}

// addTable creates public.items with one row in project ref's database; the
// grant is explicit so as not to depend on who owns the default privileges.
func (m *mobo) addTable(ctx context.Context, ref string) error {
	conn, err := m.superuser(ctx, "proj_"+ref)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const sql = `create table public.items (id int primary key, name text not null);
insert into public.items values (1, 'one'), (2, 'two');
grant select on public.items to anon;`
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("creating table items in project %q: %w", ref, err)
	}
	return nil
}

// firstGet sends the project's first REST request and returns its time; it
// retries for 10 s while the schema cache lacks the new table.
func (m *mobo) firstGet(ctx context.Context, p project) (time.Duration, int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for tries := 1; ; tries++ {
		start := time.Now()
		status, body, err := get(ctx, m.Client(), p)
		d := time.Since(start)
		if err != nil {
			return 0, tries, fmt.Errorf("GET %s: %w", p.itemURL, err)
		}
		switch {
		case status == http.StatusOK:
			if !bytes.Contains(body, []byte(`"name":"one"`)) {
				return 0, tries, fmt.Errorf("GET %s: unexpected body %s", p.itemURL, body)
			}
			return d, tries, nil
		case status != http.StatusNotFound: // 404: the schema cache lacks the table yet
			return 0, tries, fmt.Errorf("GET %s: %d: %s", p.itemURL, status, body)
		case time.Now().After(deadline):
			return 0, tries, fmt.Errorf("GET %s: %d: %s (after %d tries in 10 s)", p.itemURL, status, body, tries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(ctx context.Context, c *http.Client, p project) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.itemURL, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("apikey", p.anonKey)
	req.Header.Set("Authorization", "Bearer "+p.anonKey)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// usageConnections sums the connections the admin usage API reports.
func (m *mobo) usageConnections(ctx context.Context, projects []project) (int, error) {
	total := 0
	for _, p := range projects {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/admin/v1/projects/"+p.ref+"/usage", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+m.AdminKey())
		resp, err := m.Client().Do(req)
		if err != nil {
			return 0, fmt.Errorf("usage of %q: %w", p.ref, err)
		}
		var u struct {
			Connections int `json:"connections"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&u)
		_ = resp.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("usage of %q: %s: %w", p.ref, resp.Status, err)
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("usage of %q: %s", p.ref, resp.Status)
		}
		total += u.Connections
	}
	return total, nil
}

// loader runs concurrent GETs.
type loader struct {
	clients int
	http    *http.Client
}

func newLoader(clients int) *loader {
	t := &http.Transport{
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &loader{clients: clients, http: &http.Client{Transport: t, Timeout: 30 * time.Second}}
}

type loadResult struct {
	n        int
	elapsed  time.Duration
	p50, p99 time.Duration
	conns    int64 // connections PostgreSQL accepted during the run
	// CPU time per request, of mobo and of PostgreSQL (all its processes):
	// less moved by other load on the machine than the rate.
	moboCPU, pgCPU time.Duration
}

func (r loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r loadResult) String() string {
	return fmt.Sprintf("%6.0f req/s (p50 %v, p99 %v; CPU/req mobo %v, postgres %v; %d new connections)", r.rate(),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.moboCPU.Round(time.Microsecond), r.pgCPU.Round(time.Microsecond), r.conns)
}

// get returns a load step: a GET by primary key, round-robin over
// projects; any answer but 200 is an error.
func (l *loader) get(projects []project) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		p := projects[i%len(projects)]
		status, body, err := get(ctx, l.http, p)
		switch {
		case err != nil:
			return fmt.Errorf("GET %s: %w", p.itemURL, err)
		case status != http.StatusOK:
			return fmt.Errorf("GET %s: %d: %s", p.itemURL, status, body)
		}
		return nil
	}
}

// load runs n steps from clients goroutines; the first error stops the run.
func load(ctx context.Context, clients, n int, do func(ctx context.Context, i int) error) (loadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := do(ctx, i)
				lat[i] = time.Since(t)
				if err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return loadResult{}, err
	}
	return loadResult{n: n, elapsed: elapsed, p50: pct(lat, 50), p99: pct(lat, 99)}, nil
}

// bare is the baseline: PostgreSQL alone, through one pgx pool per project
// database of the projects' default size, as the cluster superuser.
type bare struct {
	pools []*pgxpool.Pool
}

func (m *mobo) newBare(ctx context.Context, projects []project) (*bare, error) {
	b := &bare{}
	for _, p := range projects {
		dsn, err := m.DatabaseURL("proj_"+p.ref, "projectbench baseline")
		if err != nil {
			b.close()
			return nil, err
		}
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			b.close()
			return nil, err
		}
		cfg.MaxConns = tenant.DefaultPoolMaxConns
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("baseline pool of project %q: %w", p.ref, err)
		}
		b.pools = append(b.pools, pool)
	}
	return b, nil
}

func (b *bare) close() {
	for _, p := range b.pools {
		p.Close()
	}
}

// The statements of a REST GET by primary key, as mobo sends them in one
// pipelined implicit transaction: the request settings, then the select.
const (
	bareSetup = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.method', $3, true), set_config('request.path', $4, true),
  set_config('request.headers', $5, true), set_config('search_path', $6, true),
  set_config('transaction_read_only', $7, true)`
	bareSelect = `select null::bigint, count(*), coalesce(json_agg(x), '[]')::text
  from (select "items"."id", "items"."name" from "public"."items" where "items"."id" = $1) x`
)

// query returns a load step over the first n pools: bareSetup and
// bareSelect in one round trip, checking the row came back.
func (b *bare) query(n int) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		batch := &pgx.Batch{}
		batch.Queue(bareSetup, "anon", `{"role":"anon"}`, "GET", "/items", `{"accept":"*/*"}`, `"public"`, "on")
		var (
			total *int64
			rows  int64
			body  string
		)
		batch.Queue(bareSelect, "1").QueryRow(func(row pgx.Row) error { return row.Scan(&total, &rows, &body) })
		if err := b.pools[i%n].SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("baseline query: %w", err)
		}
		if rows != 1 {
			return fmt.Errorf("baseline query: %d rows, want 1: %s", rows, body)
		}
		return nil
	}
}

func medianRate(rs []loadResult) float64 { return median(rs, loadResult.rate) }

// median returns the median of f over rs.
func median[T int64 | float64 | time.Duration](rs []loadResult, f func(loadResult) T) T {
	v := make([]T, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// pct returns the p-th percentile (nearest rank) of d.
func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func perProject(delta int64, n float64) string {
	return fmt.Sprintf("%.0f KiB", float64(delta)/1024/n)
}
