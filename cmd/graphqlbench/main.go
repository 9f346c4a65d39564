// Command graphqlbench measures mobo's /graphql/v1 against PostGraphile 5 in
// one run, on the same database and data: it starts the real mobo binary on
// a temp data dir, creates a project with authors (1000) and their posts (5
// each), starts PostGraphile (bench/graphql/server.mjs, on the Node 22 of
// bench/graphql/node_modules) on loopback against that project's database,
// then drives both with the same Go load generator (-clients concurrent
// keep-alive clients) through two queries:
//
//   - lookup: one author by primary key (a random one each request);
//   - list: 20 authors, each with its 5 posts (a nested one-to-many).
//
// Each target runs under the role anon in a transaction per request, with a
// pool of 10 connections. Measurements alternate between the targets,
// -rounds times for -duration each after a warm-up; it reports the median
// throughput of each and the ratio (goal: mobo ≥ 2x).
//
//	go run ./cmd/graphqlbench -bin bin/mobo -clients 32 -duration 5s
//
// With -vs another mobo binary (the previous commit's, say) takes
// PostGraphile's place: both binaries run side by side, each on its own
// managed PostgreSQL with the same data, and besides the two GraphQL
// queries the same reads through /rest/v1 (one author by primary key; 20
// authors with their posts) are measured, alternated the same way. Node is
// not needed then.
//
//	go run ./cmd/graphqlbench -bin bin/mobo -vs /tmp/mobo-old -clients 32
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/benchkit"
)

type options struct {
	bin, benchDir string
	vs            string
	clients       int
	duration      time.Duration
	rounds        int
	authors       int
	timeout       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/mobo", "the mobo binary")
	flag.StringVar(&o.benchDir, "dir", "bench/graphql", "the folder of server.mjs and its node_modules (npm ci there)")
	flag.StringVar(&o.vs, "vs", "", "another mobo binary to compare with, GraphQL and REST, instead of PostGraphile")
	flag.IntVar(&o.clients, "clients", 32, "concurrent HTTP clients")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of one measurement")
	flag.IntVar(&o.rounds, "rounds", 3, "alternated measurements of each target and query")
	flag.IntVar(&o.authors, "authors", 1000, "authors in the table (5 posts each)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	if o.clients < 1 || o.rounds < 1 || o.authors < 20 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "graphqlbench: -clients and -rounds must be ≥ 1, -authors ≥ 20, -duration > 0")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "graphqlbench:", err)
		os.Exit(1)
	}
}

// target is one GraphQL server and its spelling of the two queries, or
// with get a REST API and its two paths.
type target struct {
	name   string
	url    string
	get    bool
	header http.Header
	// lookup is the one-author query; %d is the author's id.
	lookup string
	list   string
	// check is a fragment every good response of each query has.
	lookupCheck, listCheck string
	// listed reads a list answer as author ids, each with its post ids.
	listed func([]byte) ([][]int, error)
}

// moboListed and pglListed read the two servers' list answers.
func moboListed(b []byte) ([][]int, error) {
	var r struct {
		Data struct {
			C struct {
				Edges []struct {
					Node struct {
						ID    int
						Posts struct {
							Edges []struct{ Node struct{ ID int } }
						} `json:"postCollection"`
					}
				}
			} `json:"authorCollection"`
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var out [][]int
	for _, e := range r.Data.C.Edges {
		row := []int{e.Node.ID}
		for _, p := range e.Node.Posts.Edges {
			row = append(row, p.Node.ID)
		}
		out = append(out, row)
	}
	return out, nil
}

func restListed(b []byte) ([][]int, error) {
	var r []struct {
		ID   int
		Post []struct{ ID int }
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var out [][]int
	for _, a := range r {
		row := []int{a.ID}
		for _, p := range a.Post {
			row = append(row, p.ID)
		}
		out = append(out, row)
	}
	return out, nil
}

func pglListed(b []byte) ([][]int, error) {
	var r struct {
		Data struct {
			C struct {
				Nodes []struct {
					RowID int
					Posts struct {
						Nodes []struct{ RowID int }
					} `json:"postsByAuthorId"`
				}
			} `json:"allAuthors"`
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var out [][]int
	for _, n := range r.Data.C.Nodes {
		row := []int{n.RowID}
		for _, p := range n.Posts.Nodes {
			row = append(row, p.RowID)
		}
		out = append(out, row)
	}
	return out, nil
}

// sameLists checks that both targets answer the list alike: 20 authors,
// 5 posts each, the same ids in the same order.
func (l *loader) sameLists(ctx context.Context, targets []*target) error {
	var first [][]int
	for i, t := range targets {
		req, err := t.request(ctx, []byte(t.list))
		if err != nil {
			return err
		}
		resp, err := l.http.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		got, err := t.listed(b)
		if err != nil {
			return fmt.Errorf("%s list: %w: %.300s", t.name, err, b)
		}
		if len(got) != 20 || slices.ContainsFunc(got, func(r []int) bool { return len(r) != 6 }) {
			return fmt.Errorf("%s list: want 20 authors with 5 posts each, got %v", t.name, got)
		}
		if i == 0 {
			first = got
		} else if !slices.EqualFunc(first, got, slices.Equal) {
			return fmt.Errorf("%s answers the list otherwise than %s: %v vs %v", t.name, targets[0].name, got, first)
		}
	}
	return nil
}

const (
	moboLookup = `{"query":"query($id: Int!) { authorCollection(filter: {id: {eq: $id}}) { edges { node { id name } } } }","variables":{"id":%d}}`
	moboList   = `{"query":"{ authorCollection(first: 20) { edges { node { id name postCollection { edges { node { id title } } } } } } }"}`
	pglLookup  = `{"query":"query($id: Int!) { authorByRowId(rowId: $id) { rowId name } }","variables":{"id":%d}}`
	pglList    = `{"query":"{ allAuthors(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { rowId name postsByAuthorId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId title } } } } }"}`
	restLookup = `/author?id=eq.%d`
	restList   = `/author?select=id,name,post(id,title)&order=id&limit=20`
)

// request is t's request with body: posted, or for a REST target the path
// and query to GET.
func (t *target) request(ctx context.Context, body []byte) (*http.Request, error) {
	var req *http.Request
	var err error
	if t.get {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, t.url+string(body), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	}
	if err != nil {
		return nil, err
	}
	req.Header = t.header
	return req, nil
}

// startSeeded starts bin on a data dir of its own with the benchmark's
// project and data; stop ends it and removes the dir.
func startSeeded(ctx context.Context, bin string, authors int) (m *benchkit.Mobo, anonKey, dbURL string, stop func(err error) error, err error) {
	dir, err := benchkit.DataDir("graphqlbench")
	if err != nil {
		return nil, "", "", nil, err
	}
	m, err = benchkit.StartMobo(ctx, bin, dir, "--log-level", "warn")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", "", nil, err
	}
	stop = func(err error) error {
		if serr := m.Stop(); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			err = fmt.Errorf("%w\n%s's last output:\n%s", err, bin, m.Out().Tail(15))
		}
		_ = os.RemoveAll(dir)
		return err
	}
	if anonKey, err = m.CreateProject(ctx, "gqlbench"); err == nil {
		if dbURL, err = m.DatabaseURL("proj_gqlbench", "graphqlbench"); err == nil {
			err = seed(ctx, dbURL, authors)
		}
	}
	if err != nil {
		return nil, "", "", nil, stop(err)
	}
	return m, anonKey, dbURL, stop, nil
}

// moboTargets are m's GraphQL and REST targets, named name.
func moboTargets(m *benchkit.Mobo, name, anonKey string) (gql, rest *target) {
	h := http.Header{"Content-Type": {"application/json"}, "Apikey": {anonKey}, "Authorization": {"Bearer " + anonKey}}
	gql = &target{
		name: name, url: m.URL() + "/p/gqlbench/graphql/v1", header: h, lookup: moboLookup, list: moboList,
		lookupCheck: `"authorCollection":{"edges":[{"node":{"id":`, listCheck: `"postCollection":{"edges":[{"node":{"id":`,
		listed: moboListed,
	}
	rest = &target{
		name: name, url: m.URL() + "/p/gqlbench/rest/v1", get: true, header: http.Header{"Apikey": {anonKey}},
		lookup: restLookup, list: restList, lookupCheck: `[{"id":`, listCheck: `"post":[{"id":`, listed: restListed,
	}
	return gql, rest
}

// runVs compares two mobo binaries, GraphQL and REST.
func runVs(ctx context.Context, o options) (err error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var suites [2][]*target
	for i, path := range []string{o.bin, o.vs} {
		bin, berr := benchkit.MoboBinary(path)
		if berr != nil {
			return berr
		}
		m, anonKey, _, stop, serr := startSeeded(ctx, bin, o.authors)
		if serr != nil {
			return serr
		}
		defer func() { err = stop(err) }()
		name := "A"
		if i == 1 {
			name = "B"
		}
		gql, rest := moboTargets(m, name, anonKey)
		suites[0], suites[1] = append(suites[0], gql), append(suites[1], rest)
		fmt.Printf("%s: %s on %s\n", name, bin, m.URL())
	}
	l := newLoader(o.clients)
	for _, targets := range suites {
		for _, t := range targets {
			if err := l.waitReady(ctx, t, o.authors); err != nil {
				return err
			}
		}
		if err := l.sameLists(ctx, targets); err != nil {
			return err
		}
	}
	fmt.Printf("%d authors × 5 posts; %d clients, %d CPUs; %d rounds of %v each, alternated\n",
		o.authors, o.clients, runtime.NumCPU(), o.rounds, o.duration)
	for i, api := range []string{"graphql", "rest"} {
		if err := l.compare(ctx, o, api, suites[i], ""); err != nil {
			return err
		}
	}
	return nil
}

func run(ctx context.Context, o options) (err error) {
	if o.vs != "" {
		return runVs(ctx, o)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	bin, err := benchkit.MoboBinary(o.bin)
	if err != nil {
		return err
	}
	node := filepath.Join(o.benchDir, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		return fmt.Errorf("node 22: %w (run `npm ci` in %s)", err, o.benchDir)
	}
	dir, err := benchkit.DataDir("graphqlbench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	m, err := benchkit.StartMobo(ctx, bin, dir, "--log-level", "warn")
	if err != nil {
		return err
	}
	defer func() {
		if serr := m.Stop(); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			err = fmt.Errorf("%w\nmobo's last output:\n%s", err, m.Out().Tail(15))
		}
	}()
	anonKey, err := m.CreateProject(ctx, "gqlbench")
	if err != nil {
		return err
	}
	dbURL, err := m.DatabaseURL("proj_gqlbench", "graphqlbench")
	if err != nil {
		return err
	}
	if err := seed(ctx, dbURL, o.authors); err != nil {
		return err
	}
	pg, err := startPostGraphile(ctx, node, filepath.Join(o.benchDir, "server.mjs"), dbURL)
	if err != nil {
		return err
	}
	defer func() {
		if serr := pg.stop(); serr != nil && err == nil {
			err = serr
		}
	}()

	h := http.Header{"Content-Type": {"application/json"}, "Apikey": {anonKey}, "Authorization": {"Bearer " + anonKey}}
	targets := []*target{
		{
			name: "mobo", url: m.URL() + "/p/gqlbench/graphql/v1", header: h, lookup: moboLookup, list: moboList,
			lookupCheck: `"authorCollection":{"edges":[{"node":{"id":`, listCheck: `"postCollection":{"edges":[{"node":{"id":`,
			listed: moboListed,
		},
		{
			name: "postgraphile", url: pg.url + "/graphql", header: http.Header{"Content-Type": {"application/json"}},
			lookup: pglLookup, list: pglList,
			lookupCheck: `"authorByRowId":{"rowId":`, listCheck: `"postsByAuthorId":{"nodes":[{"rowId":`,
			listed: pglListed,
		},
	}
	l := newLoader(o.clients)
	// Ready: the schema cache (mobo) and the introspection (PostGraphile)
	// have the tables once a query answers.
	for _, t := range targets {
		if err := l.waitReady(ctx, t, o.authors); err != nil {
			return err
		}
	}
	if err := l.sameLists(ctx, targets); err != nil {
		return err
	}
	fmt.Printf("mobo %s on %s and PostGraphile %s (node %s) on %s; %d authors × 5 posts; %d clients, %d CPUs; %d rounds of %v each, alternated\n",
		filepath.Base(bin), m.URL(), packageVersion(filepath.Join(o.benchDir, "node_modules", "postgraphile")), pg.version, pg.url,
		o.authors, o.clients, runtime.NumCPU(), o.rounds, o.duration)
	return l.compare(ctx, o, "graphql", targets, " (goal ≥ 2)")
}

// compare measures the two targets (the first against the second) through
// the lookup and the list, alternated, and prints each round and the
// medians; goal follows the ratio.
func (l *loader) compare(ctx context.Context, o options, api string, targets []*target, goal string) error {
	type query struct {
		name string
		body func(t *target) func(r *rand.Rand) []byte
		chk  func(t *target) string
	}
	queries := []query{
		{"lookup (one author by primary key)", func(t *target) func(*rand.Rand) []byte {
			bodies := make([][]byte, o.authors)
			for i := range bodies {
				bodies[i] = fmt.Appendf(nil, t.lookup, i+1)
			}
			return func(r *rand.Rand) []byte { return bodies[r.IntN(len(bodies))] }
		}, func(t *target) string { return t.lookupCheck }},
		{"list (20 authors, 5 posts each)", func(t *target) func(*rand.Rand) []byte {
			b := []byte(t.list)
			return func(*rand.Rand) []byte { return b }
		}, func(t *target) string { return t.listCheck }},
	}
	for _, q := range queries {
		fmt.Printf("\n%s %s\n", api, q.name)
		rates := map[string][]float64{}
		for _, t := range targets { // warm-up
			if _, err := l.load(ctx, t, q.body(t), q.chk(t), o.duration/2); err != nil {
				return fmt.Errorf("%s warm-up: %w", t.name, err)
			}
		}
		for r := range o.rounds {
			var line []string
			for _, t := range targets {
				res, err := l.load(ctx, t, q.body(t), q.chk(t), o.duration)
				if err != nil {
					return fmt.Errorf("%s round %d: %w", t.name, r+1, err)
				}
				rates[t.name] = append(rates[t.name], res.rate())
				line = append(line, t.name+" "+res.String())
			}
			fmt.Printf("  round %d: %s\n", r+1, strings.Join(line, " | "))
		}
		a, b := targets[0].name, targets[1].name
		mr, pr := median(rates[a]), median(rates[b])
		fmt.Printf("  median: %s %.0f req/s   %s %.0f req/s   ratio %.2fx%s\n", a, mr, b, pr, mr/pr, goal)
	}
	return nil
}

// seed creates the authors and their posts, readable by anon.
func seed(ctx context.Context, dbURL string, authors int) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connecting to the project database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const sql = `create table public.author (id int primary key, name text not null);
create table public.post (id int primary key, author_id int not null references public.author (id), title text not null);
create index on public.post (author_id);
insert into public.author select i, 'author ' || i from generate_series(1, $1::int) i;
insert into public.post select i, (i - 1) / 5 + 1, 'post ' || i from generate_series(1, $1::int * 5) i;
grant select on public.author, public.post to anon;
analyze public.author, public.post;`
	// Several statements take the simple protocol, which has no
	// parameters: the count is an integer, formatted.
	if _, err := conn.Exec(ctx, strings.ReplaceAll(sql, "$1", fmt.Sprint(authors)), pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	return nil
}

// postGraphile is the running PostGraphile server.
type postGraphile struct {
	cmd     *exec.Cmd
	url     string
	version string
	out     *benchkit.LogBuffer
	waited  chan error
}

func startPostGraphile(ctx context.Context, node, script, dbURL string) (*postGraphile, error) {
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	ver, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", node, err)
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "PORT="+port, "NODE_ENV=production")
	p := &postGraphile{cmd: cmd, url: "http://" + addr, version: strings.TrimSpace(string(ver)), out: &benchkit.LogBuffer{}, waited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting PostGraphile: %w", err)
	}
	go func() { p.waited <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.out.String(), "ready") {
		select {
		case err := <-p.waited:
			p.waited <- err
			return nil, fmt.Errorf("PostGraphile exited before it was ready (%w):\n%s", err, p.out.Tail(40))
		case <-ctx.Done():
			_ = p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.stop()
			return nil, fmt.Errorf("PostGraphile not ready within a minute:\n%s", p.out.Tail(40))
		}
	}
	return p, nil
}

func (p *postGraphile) stop() error {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupting PostGraphile: %w", err)
	}
	select {
	case err := <-p.waited:
		if err != nil {
			return fmt.Errorf("PostGraphile exited with %w after SIGINT", err)
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("PostGraphile did not stop within 20 s of SIGINT; killed it")
	}
}

// loader is the load generator both targets get: clients goroutines, each
// with its own keep-alive connection, posting as fast as answers come.
type loader struct {
	clients int
	http    *http.Client
}

func newLoader(clients int) *loader {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	return &loader{clients: clients, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

type loadResult struct {
	n       int64
	elapsed time.Duration
}

func (r loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r loadResult) String() string { return fmt.Sprintf("%.0f req/s", r.rate()) }

// post sends one request and checks the answer.
func (l *loader) post(ctx context.Context, t *target, body []byte, check string) error {
	req, err := t.request(ctx, body)
	if err != nil {
		return err
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(check)) || bytes.Contains(b, []byte(`"errors"`)) {
		return fmt.Errorf("%s: %s: %.500s", t.name, resp.Status, b)
	}
	return nil
}

// waitReady retries the lookup for 20 s until it answers.
func (l *loader) waitReady(ctx context.Context, t *target, authors int) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := l.post(ctx, t, fmt.Appendf(nil, t.lookup, authors), t.lookupCheck)
		if err == nil {
			return l.post(ctx, t, []byte(t.list), t.listCheck)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// load runs the clients for d and counts the answers; any bad answer
// fails the run.
func (l *loader) load(ctx context.Context, t *target, body func(*rand.Rand) []byte, check string, d time.Duration) (loadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		n       atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	stopAt := time.Now().Add(d)
	start := time.Now()
	for i := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 42)) //nolint:gosec // load, not secrets
			for time.Now().Before(stopAt) && ctx.Err() == nil {
				if err := l.post(ctx, t, body(r), check); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return loadResult{}, first
	}
	return loadResult{n: n.Load(), elapsed: time.Since(start)}, nil
}

// packageVersion is the version in an npm package's package.json.
func packageVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "?"
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil || p.Version == "" {
		return "?"
	}
	return p.Version
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
