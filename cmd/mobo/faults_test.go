package main

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestPostmasterCrashRecovers: kill -9 of the managed postmaster while
// clients send requests. /readyz turns false within a second; mobo restarts
// PostgreSQL at once; within 5 s of /readyz being true again every request
// answers 200 (no connection slot was lost to the failed attempts of the
// outage); during the outage requests get 503s, never a 500.
func TestPostmasterCrashRecovers(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	anon := s.keys(t)["anon key"]
	db := projectDB(t, dir, "default")
	mustExec(t, db, `create table public.pings (id int primary key); insert into public.pings values (1);
		grant select on public.pings to anon; notify pgrst, 'reload schema'`)
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/rest/v1/pings?select=id", nil)
		req.Header.Set("apikey", anon)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode
	}
	ready := func() bool {
		res, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	for deadline := time.Now().Add(10 * time.Second); get() != 200; { // the schema cache has pings
		if time.Now().After(deadline) {
			t.Fatal("pings never served")
		}
		time.Sleep(20 * time.Millisecond)
	}

	var stop atomic.Bool
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				st := get()
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()

	pid := postmasterPID(t, dir)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for ready() { // /readyz tells of the loss
		if time.Since(killed) > time.Second {
			t.Fatal("/readyz still ready a second after the postmaster died")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for !ready() {
		if time.Since(killed) > 30*time.Second {
			t.Fatal("not ready again 30 s after the postmaster died")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("ready again %v after the kill", time.Since(killed).Round(time.Millisecond))
	back := time.Now()
	for {
		ok := true
		for range 20 {
			if get() != 200 {
				ok = false
				break
			}
		}
		if ok {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("requests still fail 5 s after /readyz was ready again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("statuses during the test: %v", statuses)
	if statuses[500] > 0 {
		t.Logf("server log:\n%s", s.out.String())
	}
	for st, n := range statuses {
		if st != 200 && st != 503 && st != 0 {
			t.Errorf("%d requests answered %d; want only 200 or 503", n, st)
		}
	}
}
