package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var (
	soak      = flag.Duration("soak", 0, "run TestSoak for this long (make soak: 30m)")
	soakEvery = flag.Duration("soak-kill-every", 5*time.Minute, "TestSoak kills the postmaster this often")
)

// TestSoak: steady REST load (the fault rig's 8 clients on two projects)
// and a realtime subscriber, with the postmaster killed every 5 minutes.
// Errors come only during outages (from the kill until 5 s after
// PostgreSQL accepts connections again), mobo's RSS stays flat, the
// connection budget agrees with PostgreSQL after every recovery, no
// acknowledged write is lost and every one reaches the subscriber. Run by
// `make soak`; skipped otherwise.
func TestSoak(t *testing.T) {
	if *soak == 0 {
		t.Skip("run with -soak=30m (make soak)")
	}
	r := newFaultRig(t)
	db := projectDB(t, r.s.dir, "default")
	mustExec(t, db, `alter publication supabase_realtime add table public.acks`)
	sub := newSoakSubscriber(t, r)
	r.start()
	defer r.finish()

	type outage struct{ from, to time.Time }
	var outages []outage
	faults := []time.Time{}
	var rss []int
	begin := time.Now()
	next := begin.Add(*soakEvery)
	for time.Since(begin) < *soak {
		rss = append(rss, rssKiB(t, r.s.cmd.Process.Pid))
		if time.Now().Before(next) {
			time.Sleep(10 * time.Second)
			continue
		}
		from := r.killAndRecover(postmasterPID(t, r.s.dir))
		faults = append(faults, from)
		outages = append(outages, outage{from, time.Now().Add(5 * time.Second)})
		t.Logf("outage %d: %v", len(outages), time.Since(from).Round(time.Millisecond))
		next = time.Now().Add(*soakEvery)
	}
	r.finish()

	r.mu.Lock()
	stray := 0
	for _, f := range r.failures {
		inside := false
		for _, o := range outages {
			inside = inside || (!f.Before(o.from) && !f.After(o.to))
		}
		if !inside {
			stray++
		}
	}
	r.mu.Unlock()
	if stray > 0 {
		t.Errorf("%d requests failed outside the outages", stray)
	}
	t.Logf("RSS KiB every 10 s: %v", rss)
	if n := len(rss); n > 60 && rss[n-1] > rss[30]*13/10 { // against minute 5, after warm-up; a sample every 10 s
		t.Errorf("RSS grew from %d KiB (minute 5) to %d KiB", rss[30], rss[n-1])
	}
	r.check(faults, time.Second)
	sub.check(r)
}

// rssKiB is the resident set of process pid.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// soakSubscriber counts the inserts into the default project's acks that
// reach a realtime channel, rejoining when its socket ends.
type soakSubscriber struct {
	mu   sync.Mutex
	seen map[int64]int
}

func newSoakSubscriber(t *testing.T, r *faultRig) *soakSubscriber {
	sub := &soakSubscriber{seen: map[int64]int{}}
	cfg := map[string]any{"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "acks"}}}
	join := func() *rtClient {
		for !r.stop.Load() {
			if c := dialRT(t, r.s, r.projects[0].service); c != nil && soakJoin(c, cfg) {
				return c
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	}
	c := join()
	go func() { // ends when its socket closes at the test's end
		for c != nil {
			m, ok := <-c.msgs
			if !ok {
				c = join()
				continue
			}
			var p struct {
				Data struct {
					Record struct {
						ID int64 `json:"id"`
					} `json:"record"`
				} `json:"data"`
			}
			if m.Event == "postgres_changes" && json.Unmarshal(m.Payload, &p) == nil {
				sub.mu.Lock()
				sub.seen[p.Data.Record.ID]++
				sub.mu.Unlock()
			}
		}
	}()
	return sub
}

// soakJoin joins realtime:soak from a goroutine other than the test's (no
// t.Fatal), and reports whether the join was accepted.
func soakJoin(c *rtClient, cfg map[string]any) bool {
	b, _ := json.Marshal(map[string]any{"topic": "realtime:soak", "event": "phx_join", "payload": map[string]any{"config": cfg}, "ref": "1", "join_ref": "1"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.conn.Write(ctx, websocket.MessageText, b) != nil {
		return false
	}
	m, ok := c.await(10*time.Second, func(m rtMsg) bool { return m.Event == "phx_reply" && m.Ref != nil && *m.Ref == "1" })
	return ok && strings.Contains(string(m.Payload), `"status":"ok"`)
}

// check asserts that every acknowledged insert into the default project
// reached the subscriber exactly once.
func (sub *soakSubscriber) check(r *faultRig) {
	r.t.Helper()
	unseen := func() int {
		n := 0
		for _, id := range r.acked[r.projects[0].ref] {
			if sub.seen[id] == 0 {
				n++
			}
		}
		return n
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	// The last changes in flight: delivery, not its speed, is checked here.
	for deadline := time.Now().Add(15 * time.Second); unseen() > 0 && time.Now().Before(deadline); {
		sub.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		sub.mu.Lock()
	}
	missing, dups := unseen(), 0
	for _, n := range sub.seen {
		dups += max(n-1, 0)
	}
	r.t.Logf("realtime: %d acknowledged inserts, %d received, %d duplicates", len(r.acked[r.projects[0].ref]), len(sub.seen), dups)
	if missing > 0 || dups > 0 {
		r.t.Errorf("realtime: %d acknowledged inserts never reached the subscriber, %d arrived more than once; want each exactly once", missing, dups)
	}
}
