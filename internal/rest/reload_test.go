package rest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// waitStatus polls path until it answers status, or fails at the deadline.
func (e *env) waitStatus(t *testing.T, path string, status int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, b := e.do(t, scenario{path: path})
		if res.StatusCode == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %d, want %d: %s", path, res.StatusCode, status, b)
		}
		select {
		case <-e.cat.Reloaded("default"):
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *env) listening() bool { _, l := e.cat.State("default"); return l }
func (e *env) held() bool      { h, _ := e.cat.State("default"); return h }

func TestSchemaReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.check(t, scenario{path: "/fresh", status: http.StatusNotFound, has: []string{"PGRST205"}})

	t.Run("after DDL", func(t *testing.T) {
		if _, err := e.db.Pool.Exec(t.Context(), "create table fresh (id int primary key, note text); insert into fresh values (1, 'hi')"); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, "/fresh?select=note", http.StatusOK)
		e.check(t, scenario{path: "/fresh?select=note", status: 200, want: `[{"note":"hi"}]`})
	})

	t.Run("dropped column", func(t *testing.T) {
		if _, err := e.db.Pool.Exec(t.Context(), "alter table fresh drop column note"); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, "/fresh?select=note", http.StatusBadRequest)
	})

	t.Run("on NOTIFY pgrst", func(t *testing.T) {
		ctx := t.Context()
		// Without the event triggers only the explicit NOTIFY reloads.
		if _, err := e.db.Pool.Exec(ctx, "alter event trigger mobo_schema_reload_ddl disable; alter event trigger mobo_schema_reload_drop disable"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Pool.Exec(ctx, "create table quiet (id int)"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Pool.Exec(ctx, "notify pgrst, 'reload schema'"); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, "/quiet", http.StatusOK)
	})

	t.Run("stale cache is a client error, not a 500", func(t *testing.T) {
		ctx := t.Context()
		// The event triggers are off: the cache still lists quiet.
		if _, err := e.db.Pool.Exec(ctx, "drop table quiet"); err != nil {
			t.Fatal(err)
		}
		e.check(t, scenario{path: "/quiet", status: http.StatusNotFound, has: []string{"42P01"}})
	})
}

// TestReloadUnderLoad: requests in flight while the cache reloads over and
// over all succeed.
func TestReloadUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.check(t, scenario{path: "/users?id=eq.1", status: 200})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.db.Pool.Exec(t.Context(), "notify pgrst, 'reload schema'"); err != nil {
				t.Error(err)
				return
			}
			select {
			case <-e.cat.Reloaded("default"):
			case <-stop:
				return
			}
		}
	}()
	var reqs sync.WaitGroup
	for range 4 {
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			for range 50 {
				res, b := e.do(t, scenario{path: "/posts?select=id,comments(id),author:users!posts_author_fk(name)&id=eq.1"})
				if res.StatusCode != http.StatusOK {
					t.Errorf("status %d during reloads: %s", res.StatusCode, b)
					return
				}
			}
		}()
	}
	reqs.Wait()
	close(stop)
	wg.Wait()
}

// TestIdleListenerLetsGo: an idle project's listener closes its connection
// and the component forgets the project's schema cache (an idle project
// keeps nothing here); the next request reloads it, so DDL done meanwhile
// is seen at once.
func TestIdleListenerLetsGo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(o *envOptions) { o.idle = 200 * time.Millisecond })
	e.check(t, scenario{path: "/later", status: http.StatusNotFound, has: []string{"PGRST205"}})
	if !e.listening() {
		t.Fatal("no listener after a request")
	}
	deadline := time.Now().Add(20 * time.Second)
	for e.listening() {
		if time.Now().After(deadline) {
			t.Fatal("the listener of an idle project still runs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for e.held() {
		if time.Now().After(deadline) {
			t.Fatal("the schema cache of an idle project is still kept")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nobody listens now: this DDL's notification is lost, yet the next
	// request sees the table.
	if _, err := e.db.Pool.Exec(t.Context(), "create table later (id int primary key); insert into later values (7)"); err != nil {
		t.Fatal(err)
	}
	e.check(t, scenario{path: "/later", status: http.StatusOK, want: `[{"id":7}]`})
	if !e.listening() {
		t.Error("the listener did not come back with the request")
	}
}

// holdingProjects is poolProjects with the connection budget's contract:
// each listener holds a slot, and the test takes it back as the platform
// does when the budget runs short.
type holdingProjects struct {
	poolProjects
	mu       sync.Mutex
	stop     func() // the running listener's
	holds    int    // taken in all
	released int
}

func (h *holdingProjects) HoldConnection(_ context.Context, _ string, _ func() time.Time, stop func()) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stop = stop
	h.holds++
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.released++
	}, nil
}

func (h *holdingProjects) counts() (holds, released int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holds, h.released
}

// A listener whose connection the budget takes back gives it up and comes
// back with the next request, in the background; the cache it kept serves
// meanwhile, and the listener works again once back.
func TestEvictedListenerComesBack(t *testing.T) {
	t.Parallel()
	hp := &holdingProjects{}
	e := newEnv(t, Config{}, func(o *envOptions) {
		hp.poolProjects = o.pools.(poolProjects)
		o.pools = hp
	})
	e.check(t, scenario{path: "/users?select=id&id=eq.1", status: http.StatusOK, want: `[{"id":1}]`})
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("the listener took no budget slot", func() bool { n, _ := hp.counts(); return n == 1 })
	hp.mu.Lock()
	stop := hp.stop
	hp.mu.Unlock()
	stop()
	waitFor("the evicted listener did not give its slot back", func() bool { _, r := hp.counts(); return r == 1 && !e.listening() })

	// The next request is served from the kept cache and brings the
	// listener back.
	e.check(t, scenario{path: "/users?select=id&id=eq.2", status: http.StatusOK, want: `[{"id":2}]`})
	waitFor("the listener did not come back", func() bool { n, _ := hp.counts(); return n == 2 && e.listening() })
	// It listens: DDL from now on reloads the cache.
	if _, err := e.db.Pool.Exec(t.Context(), "create table after_evict (id int primary key); insert into after_evict values (3)"); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "/after_evict", http.StatusOK)
}
