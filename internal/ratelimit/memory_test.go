package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newStore returns a memory store closed when the test ends.
func newStore(t *testing.T, opts MemoryOptions) *MemoryStore {
	t.Helper()
	s := NewMemoryStore(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestMemoryStoreTake(t *testing.T) {
	t.Parallel()
	rule := Rule{Rate: 10, Burst: 3} // one token every 100ms
	type step struct {
		at   time.Duration // since epoch
		n    int
		want Decision
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"burst then deny", []step{
			{0, 1, Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: 100 * time.Millisecond}},
			{0, 1, Decision{Allowed: true, Limit: 3, Remaining: 1, Reset: 200 * time.Millisecond}},
			{0, 1, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
			{0, 1, Decision{Limit: 3, Remaining: 0, RetryAfter: 100 * time.Millisecond, Reset: 300 * time.Millisecond}},
			{99 * time.Millisecond, 1, Decision{Limit: 3, Remaining: 0, RetryAfter: time.Millisecond, Reset: 201 * time.Millisecond}},
			{100 * time.Millisecond, 1, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
		}},
		{"refill caps at burst", []step{
			{0, 3, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
			{time.Hour, 0, Decision{Allowed: true, Limit: 3, Remaining: 3}},
			{time.Hour, 3, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
		}},
		{"cost above remaining waits for all of it", []step{
			{0, 2, Decision{Allowed: true, Limit: 3, Remaining: 1, Reset: 200 * time.Millisecond}},
			{0, 3, Decision{Limit: 3, Remaining: 1, RetryAfter: 200 * time.Millisecond, Reset: 200 * time.Millisecond}},
			{0, 0, Decision{Allowed: true, Limit: 3, Remaining: 1, Reset: 200 * time.Millisecond}},
			{200 * time.Millisecond, 3, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
		}},
		{"clock going back reads as an empty bucket", []step{
			{time.Second, 3, Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 300 * time.Millisecond}},
			{0, 1, Decision{Limit: 3, Remaining: 0, RetryAfter: 100 * time.Millisecond, Reset: 300 * time.Millisecond}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, MemoryOptions{SweepInterval: -1})
			for i, st := range tt.steps {
				got, err := s.Take(t.Context(), "k", rule, st.n, epoch.Add(st.at))
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if diff := cmp.Diff(st.want, got); diff != "" {
					t.Errorf("step %d (at %v, n %d) (-want +got):\n%s", i, st.at, st.n, diff)
				}
			}
		})
	}
}

// TestMemoryStoreRuleChange: a bucket drained under a bigger rule reads as
// empty, not below empty, under a smaller one.
func TestMemoryStoreRuleChange(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{SweepInterval: -1})
	take(t, s, "k", Rule{Rate: 10, Burst: 3}, 3, epoch)
	got := take(t, s, "k", Rule{Rate: 10, Burst: 1}, 1, epoch)
	want := Decision{Limit: 1, RetryAfter: 100 * time.Millisecond, Reset: 100 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMemoryStoreTakeErrors(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{SweepInterval: -1})
	tests := []struct {
		name string
		rule Rule
		n    int
		want error
	}{
		{"zero rule", Rule{}, 1, ErrInvalidRule},
		{"negative n", Rule{Rate: 1, Burst: 1}, -1, ErrInvalidRule},
		{"n above burst", Rule{Rate: 1, Burst: 2}, 3, ErrCostExceedsBurst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.Take(t.Context(), "k", tt.rule, tt.n, epoch); !errors.Is(err, tt.want) {
				t.Errorf("Take = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestMemoryStoreRefill spends a bucket and counts, in virtual time, exactly
// the tokens that come back.
func TestMemoryStoreRefill(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, MemoryOptions{})
		rule := Rule{Rate: 1000.0 / 60, Burst: 50} // "1000/min burst 50": one per 60ms
		allowed := 0
		for range 10_000 { // 10s in steps of 1ms
			d, err := s.Take(t.Context(), "k", rule, 1, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
			time.Sleep(time.Millisecond)
		}
		// Takes at 0…9999ms: the burst, then one per 60ms after 0.
		if want := 50 + 9999/60; allowed != want {
			t.Errorf("allowed %d in 10s, want %d", allowed, want)
		}
	})
}

// TestMemoryStoreSweep checks that the sweeper drops exactly the buckets
// that are full again, on its schedule, in virtual time.
func TestMemoryStoreSweep(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, MemoryOptions{SweepInterval: time.Minute})
		slow := Rule{Rate: 1.0 / 3600, Burst: 2} // full 2h after one take
		fast := Rule{Rate: 1, Burst: 2}          // full 1s after one take
		for i := range 10 {
			take(t, s, fmt.Sprint("slow", i), slow, 1, time.Now())
			take(t, s, fmt.Sprint("fast", i), fast, 1, time.Now())
		}
		if n := s.Len(); n != 20 {
			t.Fatalf("Len = %d, want 20", n)
		}
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if n := s.Len(); n != 10 {
			t.Errorf("after one sweep: Len = %d, want the 10 slow buckets", n)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if n := s.Len(); n != 0 {
			t.Errorf("after 2h: Len = %d, want 0", n)
		}
		// A dropped bucket is a full one: nothing was lost.
		if d := take(t, s, "slow0", slow, 2, time.Now()); !d.Allowed {
			t.Errorf("after eviction: %+v, want a full bucket", d)
		}
	})
}

// TestMemoryStoreFullBucketNotStored: a peek, or a bucket that refilled,
// leaves no entry behind.
func TestMemoryStoreFullBucketNotStored(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{SweepInterval: -1})
	rule := Rule{Rate: 1, Burst: 5}
	take(t, s, "peek", rule, 0, epoch)
	take(t, s, "k", rule, 1, epoch)
	if n := s.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
	take(t, s, "k", rule, 0, epoch.Add(time.Second))
	if n := s.Len(); n != 0 {
		t.Errorf("Len after refill = %d, want 0", n)
	}
}

func TestMemoryStoreEvictionBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		shards, max, add int
	}{
		{"one shard", 1, 10, 1000},
		{"many shards", 8, 64, 10_000},
		{"rounded shards", 5, 100, 10_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, MemoryOptions{Shards: tt.shards, MaxEntries: tt.max, SweepInterval: -1})
			rule := Rule{Rate: 1.0 / 3600, Burst: 10} // never full again within the test
			for i := range tt.add {
				take(t, s, fmt.Sprint("ip-", i), rule, 1, epoch)
			}
			perShard := (tt.max + len(s.shards) - 1) / len(s.shards)
			if n := s.Len(); n > perShard*len(s.shards) || n < tt.max/2 {
				t.Errorf("Len = %d after %d keys, want at most %d and not far below", n, tt.add, perShard*len(s.shards))
			}
		})
	}
}

// TestMemoryStoreEvictsFullFirst: at the bound, a full bucket goes before a
// live one.
func TestMemoryStoreEvictsFullFirst(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{Shards: 1, MaxEntries: 2, SweepInterval: -1})
	slow := Rule{Rate: 1.0 / 3600, Burst: 2}
	fast := Rule{Rate: 1, Burst: 2}
	take(t, s, "live", slow, 2, epoch)
	take(t, s, "soon-full", fast, 1, epoch)
	take(t, s, "new", slow, 1, epoch.Add(time.Second)) // soon-full is full now
	if d := take(t, s, "live", slow, 1, epoch.Add(time.Second)); d.Allowed {
		t.Errorf("live bucket was evicted: %+v", d)
	}
	if n := s.Len(); n != 2 {
		t.Errorf("Len = %d, want 2", n)
	}
}

// TestMemoryStoreConcurrent hammers one key from many goroutines over
// virtual time: the count allowed is exactly the burst plus one per interval,
// and the race detector sees the shard locking.
func TestMemoryStoreConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, MemoryOptions{Shards: 4})
		rule := Rule{Rate: 100, Burst: 50} // one per 10ms
		const (
			workers = 8
			steps   = 200 // of 5ms each: takes at 0…995ms
			perStep = 3
		)
		start := time.Now()
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				mine := 0
				for range steps {
					for range perStep {
						d, err := s.Take(context.Background(), "hot", rule, 1, time.Now())
						if err != nil {
							t.Error(err)
							return
						}
						if d.Allowed {
							mine++
						}
					}
					time.Sleep(5 * time.Millisecond)
				}
				mu.Lock()
				allowed += mine
				mu.Unlock()
			})
		}
		wg.Wait()
		last := time.Duration(steps-1) * 5 * time.Millisecond
		if elapsed := time.Since(start); elapsed != last+5*time.Millisecond {
			t.Fatalf("virtual time elapsed %v, want %v", elapsed, last+5*time.Millisecond)
		}
		if want := 50 + int(last/(10*time.Millisecond)); allowed != want {
			t.Errorf("allowed %d, want burst + rate·elapsed = %d", allowed, want)
		}
	})
}

func TestMemoryStoreTakeAll(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{SweepInterval: -1})
	wide := Rule{Rate: 1, Burst: 10}
	narrow := Rule{Rate: 1, Burst: 1}
	ctx := t.Context()
	ds, err := s.TakeAll(ctx, []Request{{"a", wide, 1}, {"b", narrow, 1}}, epoch)
	if err != nil || !ds[0].Allowed || !ds[1].Allowed {
		t.Fatalf("first TakeAll = %+v, %v", ds, err)
	}
	ds, err = s.TakeAll(ctx, []Request{{"a", wide, 1}, {"b", narrow, 1}}, epoch)
	if err != nil || !ds[0].Allowed || ds[1].Allowed {
		t.Fatalf("second TakeAll = %+v, %v; want a allowed and b denied", ds, err)
	}
	if d := take(t, s, "a", wide, 0, epoch); d.Remaining != 9 {
		t.Errorf("a has %d left, want 9: a denied TakeAll must take nothing", d.Remaining)
	}
	// The same key twice counts twice.
	ds, err = s.TakeAll(ctx, []Request{{"c", Rule{Rate: 1, Burst: 2}, 1}, {"c", Rule{Rate: 1, Burst: 2}, 2}}, epoch)
	if err != nil || !ds[0].Allowed || ds[1].Allowed {
		t.Fatalf("TakeAll with a repeated key = %+v, %v", ds, err)
	}
	if _, err := s.TakeAll(ctx, []Request{{"a", wide, 1}, {"d", Rule{}, 1}}, epoch); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("TakeAll with a bad rule = %v, want ErrInvalidRule", err)
	}
}

func TestMemoryStoreCloseIdempotent(t *testing.T) {
	t.Parallel()
	s := NewMemoryStore(MemoryOptions{})
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	take(t, s, "k", Rule{Rate: 1, Burst: 1}, 1, epoch) // still usable
	if err := NewMemoryStore(MemoryOptions{SweepInterval: -1}).Close(); err != nil {
		t.Fatal(err)
	}
}

func take(t *testing.T, s Store, key string, rule Rule, n int, now time.Time) Decision {
	t.Helper()
	d, err := s.Take(t.Context(), key, rule, n, now)
	if err != nil {
		t.Fatalf("Take(%q): %v", key, err)
	}
	return d
}
