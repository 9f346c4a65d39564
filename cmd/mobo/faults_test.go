package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The fault suite: a running mobo under steady load (8 clients: readers and
// writers on two projects) while PostgreSQL fails in one way or another.
// Each test asserts that
//   - no request answers anything but success, 503 or 504 (never a 500);
//   - no acknowledged write is lost;
//   - /readyz tells the truth throughout: sampled every 20 ms, it is false
//     within a second of the fault, and whenever it says ready a request
//     sent right after succeeds;
//   - within 5 s of PostgreSQL accepting connections again, every project
//     answers 200;
//   - afterwards the connection budget agrees with PostgreSQL: every slot
//     held is an open connection, a dial in flight or a hold, and the open
//     connections are the pools' backends.

// faultRig is a mobo with two projects, a table to read and one to write
// in each, and the load and the samples of one fault test.
type faultRig struct {
	t        *testing.T
	s        *server
	projects []rigProject
	loadOn   []rigProject // the projects start loads; nil: all

	stop     atomic.Bool
	wg       sync.WaitGroup
	nextID   atomic.Int64
	mu       sync.Mutex
	statuses map[int]int
	acked    map[string][]int64 // project ref → ids whose insert answered 201
	samples  []readySample
	failures []time.Time // when a request of the load failed
}

type rigProject struct {
	ref, prefix, anon, service string
}

// readySample is /readyz's answer at a moment and the status of a read sent
// right after it.
type readySample struct {
	at, done time.Time // when /readyz was asked; when the read ended
	ready    bool
	status   int
}

// newFaultRig starts mobo (with the configuration lines given) and sets up
// the default project and one more.
func newFaultRig(t *testing.T, config ...string) *faultRig {
	t.Helper()
	dir := dataDir(t)
	var args []string
	if len(config) > 0 {
		path := filepath.Join(dir, "mobo.toml")
		if err := os.WriteFile(path, []byte(strings.Join(config, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	s := startServer(t, dir, args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (requests left out):\n%s", serverEvents(s.out.String()))
		}
	})
	keys := s.keys(t)
	r := &faultRig{t: t, s: s, statuses: map[int]int{}, acked: map[string][]int64{}}
	other := createProject(t, dir, "second")
	r.projects = []rigProject{
		{ref: "default", anon: keys["anon key"], service: keys["service_role key"]},
		{ref: other.Ref, prefix: "/p/" + other.Ref, anon: other.AnonKey, service: other.ServiceKey},
	}
	for _, p := range r.projects {
		db := projectDB(t, dir, p.ref)
		mustExec(t, db, `create table public.pings (id int primary key); insert into public.pings values (1);
			create table public.acks (id bigint primary key, body text);
			grant select on public.pings to anon; grant select, insert, delete on public.acks to service_role;
			notify pgrst, 'reload schema'`)
		r.waitServed(p)
	}
	return r
}

// waitServed waits until project p serves its pings.
func (r *faultRig) waitServed(p rigProject) {
	r.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); r.read(p) != http.StatusOK; {
		if time.Now().After(deadline) {
			r.t.Fatalf("project %s never served its pings", p.ref)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read GETs the project's pings; 0 means no HTTP answer.
func (r *faultRig) read(p rigProject) int {
	return r.do(http.MethodGet, p.prefix+"/rest/v1/pings?select=id", p.anon, "")
}

// write inserts a new row in the project's acks and records it when the
// insert is acknowledged.
func (r *faultRig) write(p rigProject, body string) int {
	id := r.nextID.Add(1)
	st := r.do(http.MethodPost, p.prefix+"/rest/v1/acks", p.service, fmt.Sprintf(`{"id":%d,"body":%q}`, id, body))
	if st == http.StatusCreated {
		r.mu.Lock()
		r.acked[p.ref] = append(r.acked[p.ref], id)
		r.mu.Unlock()
	}
	return st
}

func (r *faultRig) do(method, path, key, body string) int {
	req, err := http.NewRequest(method, r.s.url+path, strings.NewReader(body))
	if err != nil {
		r.t.Error(err)
		return 0
	}
	req.Header.Set("apikey", key)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", "return=minimal")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func (r *faultRig) ready() bool {
	res, err := http.Get(r.s.url + "/readyz")
	if err != nil {
		return false
	}
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// start sends load from 8 clients (on both projects, reads and writes)
// and samples /readyz until finish.
func (r *faultRig) start() {
	load := r.projects
	if r.loadOn != nil {
		load = r.loadOn
	}
	for i := range 8 {
		p := load[i%len(load)]
		r.wg.Go(func() {
			for !r.stop.Load() {
				var st int
				if i < 4 {
					st = r.read(p)
				} else {
					st = r.write(p, "x")
				}
				ok := st == http.StatusOK || st == http.StatusCreated
				r.mu.Lock()
				r.statuses[st]++
				if !ok {
					r.failures = append(r.failures, time.Now())
				}
				r.mu.Unlock()
				if !ok {
					time.Sleep(10 * time.Millisecond) // an outage: no busy loop
				}
			}
		})
	}
	r.wg.Go(func() {
		for !r.stop.Load() {
			at := time.Now()
			ready := r.ready()
			st := r.read(r.projects[0])
			r.mu.Lock()
			r.samples = append(r.samples, readySample{at: at, done: time.Now(), ready: ready, status: st})
			r.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// finish stops the load.
func (r *faultRig) finish() {
	r.stop.Store(true)
	r.wg.Wait()
}

// waitNotReady waits until /readyz says not ready, and fails when that
// takes longer than within.
func (r *faultRig) waitNotReady(since time.Time, within time.Duration) {
	r.t.Helper()
	for r.ready() {
		if time.Since(since) > within {
			r.t.Fatalf("/readyz still ready %v after the fault", within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killAndRecover kill -9s process pid (the postmaster or a backend), waits
// until /readyz tells of it (within a second) and until every project
// serves again, and returns when the fault began.
func (r *faultRig) killAndRecover(pid int) time.Time {
	r.t.Helper()
	fault := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	r.waitNotReady(fault, time.Second)
	r.waitRecovered(30 * time.Second)
	return fault
}

// waitRecovered waits until PostgreSQL accepts connections again (up to
// timeout), then until every project answers 20 reads in a row with 200,
// which must happen within 5 s.
func (r *faultRig) waitRecovered(timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for !r.postgresAccepts() {
		if time.Now().After(deadline) {
			r.t.Fatalf("PostgreSQL not accepting connections %v after the fault", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	back := time.Now()
	for _, p := range r.projects {
		for ok := 0; ok < 20; {
			if r.read(p) == http.StatusOK {
				ok++
				continue
			}
			ok = 0
			if time.Since(back) > 5*time.Second {
				r.t.Fatalf("project %s still fails 5 s after PostgreSQL accepted connections again", p.ref)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	r.t.Logf("every project served %v after PostgreSQL accepted connections", time.Since(back).Round(time.Millisecond))
}

func (r *faultRig) postgresAccepts() bool {
	u, err := runningClusterURL(r.s.dir, "postgres")
	if err != nil {
		return false // not running (its postmaster.pid may go at any moment while it restarts)
	}
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx) == nil
}

// check asserts what every fault test asserts, given when the faults
// began and how long /readyz may take to notice one.
func (r *faultRig) check(faults []time.Time, detect time.Duration) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Logf("statuses: %v; %d readiness samples", r.statuses, len(r.samples))
	for st, n := range r.statuses {
		if !slices.Contains([]int{0, 200, 201, 503, 504}, st) {
			r.t.Errorf("%d requests answered %d; want only success, 503 or 504", n, st)
		}
	}
	lies := 0
	for _, s := range r.samples {
		// A sample whose read ended after a fault began, and whose /readyz
		// was asked before the fault's time to notice it ran out, says
		// nothing: the fault may have come between the two.
		noticing := slices.ContainsFunc(faults, func(f time.Time) bool { return s.done.After(f) && s.at.Before(f.Add(detect)) })
		if s.ready && s.status != http.StatusOK && !noticing {
			lies++
			r.t.Logf("at %v /readyz said ready, then a read answered %d", s.at.UTC().Format(time.StampMilli), s.status)
		}
	}
	if lies > 0 {
		r.t.Errorf("/readyz said ready %d times while requests failed", lies)
	}
	r.checkAcked()
	r.checkBudget()
}

// checkAcked asserts that every acknowledged insert is in its table. The
// caller holds r.mu.
func (r *faultRig) checkAcked() {
	r.t.Helper()
	for _, p := range r.projects {
		acked, ok := r.acked[p.ref]
		if !ok {
			continue // no write to check
		}
		db := projectDB(r.t, r.s.dir, p.ref)
		rows, err := db.Query(r.t.Context(), "select id from public.acks")
		if err != nil {
			r.t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			r.t.Fatal(err)
		}
		have := make(map[int64]bool, len(ids))
		for _, id := range ids {
			have[id] = true
		}
		lost := 0
		for _, id := range acked {
			if !have[id] {
				lost++
			}
		}
		r.t.Logf("project %s: %d writes acknowledged, %d rows", p.ref, len(acked), len(have))
		if lost > 0 || len(acked) == 0 {
			r.t.Errorf("project %s: %d of %d acknowledged writes lost", p.ref, lost, len(acked))
		}
	}
}

// checkBudget asserts the connection budget's invariant once the load has
// stopped: read through the admin API and PostgreSQL's own view, it must
// settle within 5 s (connections closing).
func (r *faultRig) checkBudget() {
	r.t.Helper()
	db := projectDB(r.t, r.s.dir, "default")
	var last string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var st struct {
			Details struct {
				Connections struct {
					Budget, Held, Open, Dialing, Holds int
				} `json:"connections"`
			} `json:"details"`
		}
		if code := r.s.adminCall(r.t, http.MethodGet, "/admin/v1/status", nil, &st); code != http.StatusOK {
			r.t.Fatalf("admin status: %d", code)
		}
		c := st.Details.Connections
		var backends int
		if err := db.QueryRow(r.t.Context(), `select count(*) from pg_stat_activity
			where backend_type = 'client backend' and application_name ~ '^mobo (api|service|pgwire) '`).Scan(&backends); err != nil {
			r.t.Fatal(err)
		}
		last = fmt.Sprintf("budget %+v, %d pool backends in PostgreSQL", c, backends)
		if c.Budget > 0 && c.Held == c.Open+c.Dialing+c.Holds && c.Open == backends && c.Dialing == 0 {
			r.t.Log(last)
			return
		}
	}
	r.t.Errorf("the connection budget disagrees with PostgreSQL: %s", last)
}

// TestPostmasterCrashRecovers: kill -9 of the managed postmaster under
// load. mobo restarts PostgreSQL at once and resets every pool.
func TestPostmasterCrashRecovers(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	r.start()
	defer r.finish()
	fault := r.killAndRecover(postmasterPID(t, r.s.dir))
	r.finish()
	r.check([]time.Time{fault}, time.Second)
}

// TestBackendCrashRecovers: kill -9 of one backend serving the API. The
// postmaster ends every other backend and recovers (the server is "in
// recovery mode" meanwhile); mobo's postmaster keeps running.
func TestBackendCrashRecovers(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	r.start()
	defer r.finish()
	db := projectDB(t, r.s.dir, "default")
	var pid int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := db.QueryRow(t.Context(), `select pid from pg_stat_activity
			where application_name like 'mobo api %' and backend_type = 'client backend' limit 1`).Scan(&pid)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no API backend to kill: %v", err)
		}
	}
	fault := r.killAndRecover(pid)
	r.finish()
	r.check([]time.Time{fault}, time.Second)
}

// TestFrozenPostgresRecovers: every PostgreSQL process stopped (SIGSTOP)
// for 30 s: the server neither answers nor refuses. Requests end by the
// request timeout with 504 rather than hanging; /readyz turns false within
// a second; mobo may restart the server meanwhile. After SIGCONT every
// project serves again.
func TestFrozenPostgresRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30 s outage")
	}
	t.Parallel()
	r := newFaultRig(t, "[http]", `request_timeout = "3s"`)
	r.start()
	defer r.finish()
	// The postmaster first, so that it forks no backend after its
	// children are listed.
	postmaster := postmasterPID(t, r.s.dir)
	fault := time.Now()
	if err := syscall.Kill(postmaster, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	pids := postgresPIDs(t, postmaster)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
	}
	defer func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	r.waitNotReady(fault, time.Second)
	time.Sleep(30*time.Second - time.Since(fault))
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	r.waitRecovered(60 * time.Second)
	r.finish()
	r.mu.Lock()
	timeouts := r.statuses[http.StatusGatewayTimeout] + r.statuses[http.StatusServiceUnavailable]
	r.mu.Unlock()
	if timeouts == 0 {
		t.Error("no request ended with 503 or 504 during a 30 s outage: requests hung")
	}
	r.check([]time.Time{fault}, time.Second)
}

// TestRealtimeExactlyOnceAcrossPostgresRestart: a subscriber to the
// inserts of a table written under load gets every acknowledged insert
// exactly once, although the postmaster is killed meanwhile: the slot's
// confirmed position, persisted only at checkpoints, rewinds, and the
// capture skips what it had published.
func TestRealtimeExactlyOnceAcrossPostgresRestart(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t)
	mustExec(t, projectDB(t, r.s.dir, "default"), `alter publication supabase_realtime add table public.acks`)
	sub := newSoakSubscriber(t, r)
	r.start()
	defer r.finish()
	time.Sleep(3 * time.Second)
	fault := r.killAndRecover(postmasterPID(t, r.s.dir))
	time.Sleep(3 * time.Second)
	r.finish()
	r.check([]time.Time{fault}, time.Second)
	sub.check(r)
}

// postgresPIDs returns the postmaster's pid and its children's.
func postgresPIDs(t *testing.T, postmaster int) []int {
	t.Helper()
	pids := []int{postmaster}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so split after ')'.
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); i > 0 && len(f) > 2 && f[1] == strconv.Itoa(postmaster) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// serverEvents returns mobo's log without the request lines.
func serverEvents(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if !strings.Contains(line, `"msg":"request"`) {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestQuotaFilledStillShrinks: writers fill a project up to its size
// quota. Past it, inserts get 403 with PostgreSQL's disk_full code (never a
// 500) while the other project writes on; deletes by the service role go
// through; the owner can truncate; once the database is back under its
// limit inserts are accepted again. No acknowledged write is lost.
func TestQuotaFilledStillShrinks(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t, "[projects]", `quota_check_interval = "1s"`)
	p := r.projects[0]
	var u struct {
		SizeBytes int64 `json:"size_bytes"`
	}
	if st := r.s.adminCall(t, http.MethodGet, "/admin/v1/projects/default/usage", nil, &u); st != http.StatusOK {
		t.Fatalf("usage: %d", st)
	}
	limit := map[string]any{"limits": map[string]any{"db_size_limit": u.SizeBytes + 2<<20}}
	if st := r.s.adminCall(t, http.MethodPatch, "/admin/v1/projects/default", limit, nil); st != http.StatusOK {
		t.Fatalf("setting the limit: %d", st)
	}
	r.loadOn = r.projects[1:] // the other project's load goes on throughout
	r.start()
	defer r.finish()
	fill := func() (refused int) {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
			switch st := r.write(p, randomText(8<<10)); st {
			case http.StatusCreated:
			case http.StatusForbidden:
				return st
			default:
				t.Fatalf("an insert while filling answered %d", st)
			}
		}
		t.Fatal("still writable after 60 s of 8 KiB inserts")
		return 0
	}
	fill()
	status, body := r.s.callRaw(t, http.MethodGet, "/rest/v1/pings?select=id", p.anon)
	if status != http.StatusOK {
		t.Errorf("a read over quota: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPost, r.s.url+"/rest/v1/acks", strings.NewReader(`{"id":-1}`))
	req.Header.Set("apikey", p.service)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `"code":"53100"`) || !strings.Contains(string(b), "quota") {
		t.Errorf("an insert over quota: %d %s; want 403 with code 53100", res.StatusCode, b)
	}
	r.mu.Lock()
	gone := r.acked[p.ref][0]
	r.acked[p.ref] = r.acked[p.ref][1:]
	r.mu.Unlock()
	if st := r.do(http.MethodDelete, fmt.Sprintf("/rest/v1/acks?id=eq.%d", gone), p.service, ""); st != http.StatusNoContent {
		t.Errorf("a delete by the service role over quota: %d, want 204", st)
	}
	r.mu.Lock()    // the other project's load runs on
	r.checkAcked() // before the owner empties the table
	r.mu.Unlock()
	out, err := exec.Command(moboBin, "--data-dir", r.s.dir, "db", "psql", "--", "-v", "ON_ERROR_STOP=1", "-c", "begin read write; truncate public.acks; commit").CombinedOutput()
	if err != nil {
		t.Fatalf("the owner's truncate over quota: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(15 * time.Second); r.write(p, "after") != http.StatusCreated; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("inserts still refused 15 s after the database shrank")
		}
	}
	r.finish()
	r.mu.Lock()
	delete(r.acked, p.ref) // checked before the truncate
	r.mu.Unlock()
	r.check(nil, 0)
}

// randomText is n bytes of hex that PostgreSQL cannot compress.
func randomText(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
