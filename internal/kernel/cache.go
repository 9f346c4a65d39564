package kernel

import (
	"context"
	"math"
	"time"

	"github.com/maypok86/otter/v2"
)

// Cache is a bounded key-value cache with per-entry TTLs. Implementations must
// be safe for concurrent use.
//
// A cache may evict any entry before its TTL to stay within its bound, so it
// never holds the only copy of anything. [MemoryCache] is the in-process
// implementation; a shared one (Redis) can satisfy the same interface, which is
// why every method takes a ctx and may return an error.
type Cache[V any] interface {
	// Get returns the value of key and true, or the zero value and false if key
	// is absent or expired. A miss is not an error.
	Get(ctx context.Context, key string) (V, bool, error)
	// Set stores v under key, replacing any previous value and its TTL. The
	// entry expires ttl after Set; ttl <= 0 means it does not expire.
	Set(ctx context.Context, key string, v V, ttl time.Duration) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// MemoryCache is an in-process [Cache] built on otter: a bounded,
// concurrent hash table that evicts by frequency and recency (W-TinyLFU) and
// expires entries through a timer wheel. It never blocks on I/O and never
// returns an error; ctx is accepted only to satisfy [Cache].
//
// Eviction runs asynchronously, so the number of entries may briefly exceed
// the bound right after a burst of writes. Expiry is exact for Get: an expired
// entry is never returned. A background goroutine also removes expired entries
// about once a second, so that they do not hold memory; [MemoryCache.Close]
// stops it.
type MemoryCache[V any] struct {
	c *otter.Cache[string, memoryItem[V]]
}

var _ Cache[any] = (*MemoryCache[any])(nil)

// memoryItem carries the entry's own TTL next to its value, so that otter's
// ExpiryCalculator can give each entry the TTL its Set asked for.
type memoryItem[V any] struct {
	v   V
	ttl time.Duration // <= 0: never expires
}

// NewMemoryCache returns an empty cache that holds at most maxEntries entries.
// It panics if maxEntries is less than 1: a cache's size comes from validated
// configuration, so a bad one is a programming error.
func NewMemoryCache[V any](maxEntries int) *MemoryCache[V] {
	if maxEntries < 1 {
		panic("kernel: NewMemoryCache: maxEntries must be at least 1")
	}
	o := memoryOptions[V]()
	o.MaximumSize = maxEntries
	return &MemoryCache[V]{c: otter.Must(o)}
}

// NewCostCache returns an empty cache whose entries' costs (cost of the key
// and value, in bytes or any unit) add up to at most maxCost: for entries
// of very different sizes, such as compiled statements keyed by their
// query. It panics if maxCost is 0 or cost is nil.
func NewCostCache[V any](maxCost uint64, cost func(key string, v V) uint32) *MemoryCache[V] {
	if maxCost == 0 || cost == nil {
		panic("kernel: NewCostCache: needs a maxCost and a cost function")
	}
	o := memoryOptions[V]()
	o.MaximumWeight = maxCost
	o.Weigher = func(k string, it memoryItem[V]) uint32 { return cost(k, it.v) }
	return &MemoryCache[V]{c: otter.Must(o)}
}

func memoryOptions[V any]() *otter.Options[string, memoryItem[V]] {
	return &otter.Options[string, memoryItem[V]]{
		// Writing, not Accessing: a Get does not extend the TTL, as with Redis.
		// Every write, a replacement too, sets the expiry from its own TTL.
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, memoryItem[V]]) time.Duration {
			if e.Value.ttl <= 0 {
				return math.MaxInt64 // otter's "never": the deadline saturates
			}
			return e.Value.ttl
		}),
	}
}

// Get returns the value of key, if it is present and has not expired.
func (m *MemoryCache[V]) Get(_ context.Context, key string) (V, bool, error) {
	it, ok := m.c.GetIfPresent(key)
	return it.v, ok, nil
}

// Set stores v under key for ttl; ttl <= 0 means no expiry.
func (m *MemoryCache[V]) Set(_ context.Context, key string, v V, ttl time.Duration) error {
	m.c.Set(key, memoryItem[V]{v: v, ttl: ttl})
	return nil
}

// Delete removes key.
func (m *MemoryCache[V]) Delete(_ context.Context, key string) error {
	m.c.Invalidate(key)
	return nil
}

// Clear removes every entry (signing keys changed, say).
func (m *MemoryCache[V]) Clear() { m.c.InvalidateAll() }

// Close stops the goroutine that removes expired entries in the background.
// The cache stays usable and Get still never returns an expired entry; expired
// entries then leave memory only when they are evicted, replaced or deleted.
// Without Close the goroutine ends once the cache is garbage collected; call
// Close when the owner stops, so that leak checks pass. Close is idempotent.
func (m *MemoryCache[V]) Close() {
	m.c.StopAllGoroutines()
}
