package kernel

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// newTestCache returns a cache closed when the test ends. Inside a synctest
// bubble, that is before the bubble ends, as otter requires.
func newTestCache[V any](t testing.TB, maxEntries int) *MemoryCache[V] {
	t.Helper()
	c := NewMemoryCache[V](maxEntries)
	t.Cleanup(c.Close)
	return c
}

func mustGet[V comparable](t *testing.T, c Cache[V], key string, want V, wantOK bool) {
	t.Helper()
	got, ok, err := c.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if ok != wantOK || got != want {
		t.Errorf("Get(%q) = %v, %v; want %v, %v", key, got, ok, want, wantOK)
	}
}

func mustSet[V any](t *testing.T, c Cache[V], key string, v V, ttl time.Duration) {
	t.Helper()
	if err := c.Set(t.Context(), key, v, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func TestMemoryCacheSetGetDelete(t *testing.T) {
	t.Parallel()
	c := newTestCache[string](t, 100)
	mustGet(t, c, "a", "", false)

	mustSet(t, c, "a", "1", 0)
	mustGet(t, c, "a", "1", true)
	mustSet(t, c, "a", "2", time.Hour)
	mustGet(t, c, "a", "2", true)

	if err := c.Delete(t.Context(), "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustGet(t, c, "a", "", false)
	if err := c.Delete(t.Context(), "absent"); err != nil {
		t.Errorf("Delete of an absent key: %v", err)
	}

	// The zero value is a value like any other.
	mustSet(t, c, "zero", "", 0)
	mustGet(t, c, "zero", "", true)
}

// TestMemoryCacheExpiry runs in a synctest bubble: otter's default clock reads
// time.Now, which is virtual there, so TTLs are checked to the nanosecond.
func TestMemoryCacheExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newTestCache[int](t, 100)
		mustSet(t, c, "1s", 1, time.Second)
		mustSet(t, c, "forever", 2, 0)
		mustSet(t, c, "negative", 3, -time.Second)
		mustSet(t, c, "replaced", 4, time.Second)
		mustSet(t, c, "unbounded", 5, time.Second)

		time.Sleep(500 * time.Millisecond)
		mustSet(t, c, "replaced", 40, time.Second) // a write restarts the TTL with its own
		mustSet(t, c, "unbounded", 50, 0)          // and may drop it

		time.Sleep(500*time.Millisecond - time.Nanosecond)
		mustGet(t, c, "1s", 1, true)
		mustGet(t, c, "1s", 1, true) // a read does not extend the TTL
		time.Sleep(time.Nanosecond)
		mustGet(t, c, "1s", 0, false)
		mustGet(t, c, "replaced", 40, true)

		time.Sleep(500 * time.Millisecond)
		mustGet(t, c, "replaced", 0, false)

		time.Sleep(time.Hour) // each virtual second ticks otter's clean-up, so not years
		mustGet(t, c, "forever", 2, true)
		mustGet(t, c, "negative", 3, true)
		mustGet(t, c, "unbounded", 50, true)
	})
}

// TestMemoryCacheRemovesExpired checks that expired entries leave memory
// without being read, through otter's periodic clean-up.
func TestMemoryCacheRemovesExpired(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newTestCache[int](t, 100)
		for i := range 50 {
			mustSet(t, c, fmt.Sprint(i), i, time.Second)
		}
		mustSet(t, c, "stays", 1, 0)
		time.Sleep(3 * time.Second) // a few ticks of the clean-up goroutine
		synctest.Wait()
		if n := c.c.EstimatedSize(); n != 1 {
			t.Errorf("%d entries left after expiry, want 1", n)
		}
	})
}

func TestMemoryCacheBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		max, inserts int
	}{
		{1, 100},
		{100, 10_000},
		{1000, 50_000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d", tt.max), func(t *testing.T) {
			t.Parallel()
			c := newTestCache[int](t, tt.max)
			for i := range tt.inserts {
				mustSet(t, c, fmt.Sprint(i), i, time.Hour)
			}
			// Eviction is asynchronous; CleanUp runs what is pending.
			c.c.CleanUp()
			if n := c.c.EstimatedSize(); n > tt.max {
				t.Errorf("EstimatedSize() = %d after CleanUp, want at most %d", n, tt.max)
			}
			n := 0
			for range c.c.Keys() {
				n++
			}
			if n > tt.max {
				t.Errorf("%d keys after CleanUp, want at most %d", n, tt.max)
			}
			if n == 0 {
				t.Error("the cache evicted everything")
			}
		})
	}
}

func TestMemoryCacheConcurrent(t *testing.T) {
	t.Parallel()
	const maxEntries = 64
	c := newTestCache[int](t, maxEntries)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			ctx := t.Context()
			for i := range 2000 {
				key := fmt.Sprint(i % 200)
				switch (g + i) % 3 {
				case 0:
					_ = c.Set(ctx, key, i, time.Duration(i%5)*time.Millisecond)
				case 1:
					if v, ok, _ := c.Get(ctx, key); ok && v%200 != i%200 {
						t.Errorf("Get(%q) = %d: a value stored under another key", key, v)
						return
					}
				case 2:
					_ = c.Delete(ctx, key)
				}
			}
		})
	}
	wg.Wait()
	c.c.CleanUp()
	if n := c.c.EstimatedSize(); n > maxEntries {
		t.Errorf("EstimatedSize() = %d, want at most %d", n, maxEntries)
	}
}

func TestNewMemoryCachePanicsOnBadBound(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewMemoryCache(%d) did not panic", n)
				}
			}()
			NewMemoryCache[int](n)
		})
	}
}

// TestCostCacheBound: entries' costs add up to at most the bound, however
// the costs are spread.
func TestCostCacheBound(t *testing.T) {
	t.Parallel()
	const maxCost = 10_000
	c := NewCostCache(maxCost, func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) })
	t.Cleanup(c.Close)
	ctx := t.Context()
	for i := range 2000 {
		v := make([]byte, i%500)
		if err := c.Set(ctx, fmt.Sprint(i), v, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	c.c.CleanUp()
	var total int
	for k, it := range c.c.All() {
		total += len(k) + len(it.v)
	}
	if total > maxCost || total == 0 {
		t.Errorf("entries cost %d, want 1..%d", total, maxCost)
	}
	c.Clear()
	c.c.CleanUp()
	if n := c.c.EstimatedSize(); n != 0 {
		t.Errorf("%d entries after Clear", n)
	}
}
