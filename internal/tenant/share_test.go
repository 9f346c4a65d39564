package tenant

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// enterAll takes n slots of ref's share, failing the test if any waits.
func enterAll(t *testing.T, s *sharer, ref string, poolMax, n int) []func() {
	t.Helper()
	leaves := make([]func(), n)
	for i := range leaves {
		leave, err := s.enter(t.Context(), ref, poolMax)
		if err != nil {
			t.Fatal(err)
		}
		leaves[i] = leave
	}
	return leaves
}

// entered runs enter in a goroutine and reports the (virtual) time it
// waited once it went ahead and left again.
func entered(ctx context.Context, s *sharer, ref string, poolMax int) <-chan time.Duration {
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		leave, err := s.enter(ctx, ref, poolMax)
		if err != nil {
			close(done)
			return
		}
		d := time.Since(start)
		leave()
		done <- d
	}()
	return done
}

type gateState struct{ inUse, waiting int }

// state reads ref's gate under the lock.
func (s *sharer) state(ref string) gateState {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gates[ref]
	if g == nil {
		return gateState{}
	}
	return gateState{g.inUse, len(g.waiters)}
}

// counts reads the busy projects and the gates under the lock.
func (s *sharer) counts() (busy, gates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy, len(s.gates)
}

func TestShareOneBusyProjectUsesItsPool(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(8, sharePatience)
		// Alone, a project may use up to its pool's limit, and no more
		// than the target.
		leaves := enterAll(t, s, "a", 5, 5)
		got := entered(t.Context(), s, "a", 5)
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a sixth request of a pool of 5 went ahead at once")
		default:
		}
		leaves[0]()
		synctest.Wait()
		if d, ok := <-got; !ok || d != 0 {
			t.Fatalf("the waiting request was not handed the freed slot at once (waited %v, ok %v)", d, ok)
		}
		for _, l := range leaves[1:] {
			l()
		}
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

func TestShareSplitsAmongBusyProjects(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(8, sharePatience)
		a := enterAll(t, s, "a", 10, 4) // alone: 4 of 8
		b := enterAll(t, s, "b", 10, 4) // two busy: 4 each
		for _, ref := range []string{"a", "b"} {
			got := entered(t.Context(), s, ref, 10)
			synctest.Wait()
			select {
			case <-got:
				t.Fatalf("project %s went past its share of 4 with two projects busy", ref)
			default:
			}
		}
		// A freed slot of a goes to a's waiter (which then leaves), not to
		// b's.
		a[0]()
		synctest.Wait()
		if a, b := s.state("a"), s.state("b"); a != (gateState{3, 0}) || b != (gateState{4, 1}) {
			t.Fatalf("a: %+v, b: %+v", a, b)
		}
		b[0]()
		synctest.Wait()
		for _, l := range append(a[1:], b[1:]...) {
			l()
		}
		synctest.Wait()
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

// TestShareGrowsWhenProjectsIdle: when a busy project goes idle, the
// others' shares grow and their waiters go ahead at once, not after the
// patience.
func TestShareGrowsWhenProjectsIdle(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(4, sharePatience)
		a := enterAll(t, s, "a", 10, 2) // two busy: 2 each
		b := enterAll(t, s, "b", 10, 1)
		got := entered(t.Context(), s, "a", 10)
		synctest.Wait()
		if g := s.state("a"); g != (gateState{2, 1}) {
			t.Fatalf("a before b idles: %+v", g)
		}
		b[0]() // b idle: a's share is 4
		synctest.Wait()
		if d, ok := <-got; !ok || d != 0 {
			t.Fatalf("a's waiter waited %v (ok %v) after its share grew", d, ok)
		}
		for _, l := range a {
			l()
		}
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

func TestShareIsAtLeastOne(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(4, sharePatience)
		// Ten busy projects on a target of four: each still gets one.
		var leaves []func()
		for i := range 10 {
			leaves = append(leaves, enterAll(t, s, fmt.Sprint("p", i), 10, 1)...)
		}
		if busy, _ := s.counts(); busy != 10 {
			t.Fatalf("busy %d, want 10", busy)
		}
		for _, l := range leaves {
			l()
		}
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

func TestShareGoesAheadAfterPatience(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(1, sharePatience)
		slow := enterAll(t, s, "a", 10, 1) // a slow statement holds the share
		got := entered(t.Context(), s, "a", 10)
		d, ok := <-got
		if !ok || d != sharePatience {
			t.Fatalf("waited %v (ok %v), want the patience, %v", d, ok, sharePatience)
		}
		if g := s.state("a"); g != (gateState{1, 0}) {
			t.Fatalf("after the overflow left: %+v", g)
		}
		if w, b := s.waits.Load(), s.beyond.Load(); w != 1 || b != 1 {
			t.Errorf("counted %d waits, %d beyond the share; want 1, 1", w, b)
		}
		slow[0]()
		slow[0]() // a second call is a no-op
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

func TestShareCancelledWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSharer(1, time.Hour)
		held := enterAll(t, s, "a", 10, 1)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := s.enter(ctx, "a", 10)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("enter after cancel: %v", err)
		}
		if g := s.state("a"); g != (gateState{1, 0}) {
			t.Fatalf("the cancelled waiter is still counted: %+v", g)
		}
		held[0]()
		if busy, gates := s.counts(); busy != 0 || gates != 0 {
			t.Fatalf("after all left: %d busy, %d gates", busy, gates)
		}
	})
}

// TestShareConcurrent hammers the sharer from many goroutines (run with
// -race): with a patience no request outlasts, a project never has more
// requests in flight than its pool's limit, and everything is given back.
func TestShareConcurrent(t *testing.T) {
	t.Parallel()
	const projects, perProject, rounds, poolMax = 6, 8, 200, 3
	s := newSharer(12, time.Hour)
	var inUse, maxSeen [projects]atomic.Int32
	var wg sync.WaitGroup
	for p := range projects {
		ref := fmt.Sprint("p", p)
		for range perProject {
			wg.Go(func() {
				for range rounds {
					leave, err := s.enter(t.Context(), ref, poolMax)
					if err != nil {
						t.Error(err)
						return
					}
					n := inUse[p].Add(1)
					for m := maxSeen[p].Load(); n > m && !maxSeen[p].CompareAndSwap(m, n); m = maxSeen[p].Load() {
					}
					time.Sleep(10 * time.Microsecond)
					inUse[p].Add(-1)
					leave()
				}
			})
		}
	}
	wg.Wait()
	if busy, gates := s.counts(); busy != 0 || gates != 0 {
		t.Fatalf("after all left: %d busy, %d gates", busy, gates)
	}
	for p := range projects {
		if m := maxSeen[p].Load(); m > poolMax {
			t.Errorf("project %d had %d requests in flight, over its pool's %d", p, m, poolMax)
		}
	}
}

// BenchmarkShare is the sharer's cost on the request path: enter and leave
// from parallel goroutines, on one project (all on one gate) and spread
// over 50, against a bare mutex taken and released as often (baseline).
func BenchmarkShare(b *testing.B) {
	refs := make([]string, 50)
	for i := range refs {
		refs[i] = fmt.Sprint("p", i)
	}
	for _, c := range []struct {
		name     string
		projects int
	}{{"one project", 1}, {"50 projects", 50}} {
		b.Run(c.name, func(b *testing.B) {
			s := newSharer(1<<20, sharePatience) // shares never bind: the cost of the bookkeeping
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					ref := refs[int(next.Add(1))%c.projects]
					leave, err := s.enter(ctx, ref, 10)
					if err != nil {
						b.Error(err)
						return
					}
					leave()
				}
			})
		})
	}
	b.Run("baseline mutex", func(b *testing.B) {
		var mu sync.Mutex
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				n++
				mu.Unlock()
				mu.Lock()
				n--
				mu.Unlock()
			}
		})
	})
}
