package ratelimit

import (
	"context"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// MemoryOptions configures a [MemoryStore]. The zero value is usable.
type MemoryOptions struct {
	// Shards is the number of independently locked maps, rounded up to a
	// power of two. Default 64.
	Shards int
	// MaxEntries bounds the number of buckets held (approximately: the bound
	// is enforced per shard, as MaxEntries/Shards each). Default 1<<18.
	MaxEntries int
	// SweepInterval is how often full buckets are dropped in the
	// background. Default one minute; negative disables the sweeper
	// (buckets are then dropped only when a shard reaches its bound).
	SweepInterval time.Duration
	// Now is the sweeper's clock; it must be the clock whose time callers
	// pass to Take. Default time.Now.
	Now func() time.Time
}

// evictSample is how many entries a full shard looks at to choose a victim.
const evictSample = 8

// MemoryStore is an in-process [Store] and [MultiStore]: buckets in sharded
// maps, each shard behind its own mutex. A bucket is one int64 (see
// [gcra]); a full bucket is dropped, since a missing key reads as full.
//
// Memory is bounded: when a shard is at its bound, inserting a key first
// drops a full bucket among a random sample, or failing that the sampled
// bucket nearest to full. Under a flood of distinct keys that last case
// forgets some live buckets (giving those clients fresh tokens) rather than
// growing or refusing new clients.
//
// A MemoryStore starts one sweeper goroutine unless SweepInterval is
// negative; Close stops it and waits for it.
type MemoryStore struct {
	seed     maphash.Seed
	shards   []memShard
	mask     uint64
	maxShard int
	now      func() time.Time

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memShard struct {
	mu sync.Mutex
	m  map[string]int64 // key → tat, Unix nanoseconds
	_  [48]byte         // keep shards on separate cache lines
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ MultiStore = (*MemoryStore)(nil)
)

// NewMemoryStore returns a store configured by opts.
func NewMemoryStore(opts MemoryOptions) *MemoryStore {
	n := opts.Shards
	if n <= 0 {
		n = 64
	}
	n = 1 << bits.Len(uint(n-1))
	maxEntries := opts.MaxEntries
	if maxEntries <= 0 {
		maxEntries = 1 << 18
	}
	s := &MemoryStore{
		seed:     maphash.MakeSeed(),
		shards:   make([]memShard, n),
		mask:     uint64(n - 1), //nolint:gosec // n is a positive power of two
		maxShard: max(1, (maxEntries+n-1)/n),
		now:      opts.Now,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]int64)
	}
	every := opts.SweepInterval
	if every == 0 {
		every = time.Minute
	}
	if every < 0 {
		close(s.done)
		return s
	}
	go s.sweeper(every)
	return s
}

// Close stops the sweeper and waits for it to return. It is idempotent.
// The store stays usable after Close; it is just no longer swept.
func (s *MemoryStore) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

func (s *MemoryStore) sweeper(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep drops every full bucket now. The sweeper calls it; it is exported
// for tests and for callers that disable the sweeper.
func (s *MemoryStore) Sweep() {
	for i := range s.shards {
		sh := &s.shards[i]
		now := s.now().UnixNano()
		sh.mu.Lock()
		for k, tat := range sh.m {
			if tat <= now {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

// Len returns the number of buckets held.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

func (s *MemoryStore) shardIndex(key string) int {
	return int(maphash.String(s.seed, key) & s.mask) //nolint:gosec // masked below len(s.shards)
}

// Take implements [Store]. It never blocks on anything but a shard's mutex,
// and ignores ctx.
func (s *MemoryStore) Take(_ context.Context, key string, rule Rule, n int, now time.Time) (Decision, error) {
	if err := checkTake(rule, n); err != nil {
		return Decision{}, err
	}
	sh := &s.shards[s.shardIndex(key)]
	ns := now.UnixNano()
	sh.mu.Lock()
	tat, ok := sh.m[key]
	d, newTAT := gcra(tat, ns, rule, n)
	if !ok || newTAT != tat || newTAT <= ns {
		s.store(sh, key, newTAT, ns, ok)
	}
	sh.mu.Unlock()
	return d, nil
}

// store records tat for key in sh, whose mutex is held. existed says whether
// key is already in the map.
func (s *MemoryStore) store(sh *memShard, key string, tat, now int64, existed bool) {
	if tat <= now {
		if existed {
			delete(sh.m, key) // full: the same as absent
		}
		return
	}
	if !existed && len(sh.m) >= s.maxShard {
		s.evict(sh, now)
	}
	sh.m[key] = tat
}

// evict drops one bucket from sh, whose mutex is held: the first full one in
// a random sample, else the sampled one nearest to full. Sampling keeps an
// insert O(1) however many live buckets the shard holds.
func (s *MemoryStore) evict(sh *memShard, now int64) {
	victim, least, seen := "", int64(0), 0
	for k, tat := range sh.m { // map iteration starts at a random place
		if tat <= now {
			victim = k
			break
		}
		if seen == 0 || tat < least {
			victim, least = k, tat
		}
		if seen++; seen == evictSample {
			break
		}
	}
	delete(sh.m, victim)
}

// TakeAll implements [MultiStore]: it locks the shards of all the keys (in
// index order, so concurrent calls cannot deadlock), decides each request in
// order against the effect of the ones before it, and writes the new states
// only if every request is allowed.
func (s *MemoryStore) TakeAll(_ context.Context, reqs []Request, now time.Time) ([]Decision, error) {
	for _, r := range reqs {
		if err := checkTake(r.Rule, r.N); err != nil {
			return nil, err
		}
	}
	// A request has a few keys: small buffers on the stack, linear search.
	type pending struct {
		key     string
		shard   int
		tat     int64
		existed bool
	}
	var pendBuf [4]pending
	var lockBuf [4]int
	pend, locks := pendBuf[:0], lockBuf[:0]
	slot := make([]int, 0, 4) // reqs[i]'s index in pend
	for _, r := range reqs {
		j := slices.IndexFunc(pend, func(p pending) bool { return p.key == r.Key })
		if j < 0 {
			j = len(pend)
			i := s.shardIndex(r.Key)
			pend = append(pend, pending{key: r.Key, shard: i})
			locks = append(locks, i)
		}
		slot = append(slot, j)
	}
	slices.Sort(locks)
	locks = slices.Compact(locks)
	for _, i := range locks {
		s.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range locks {
			s.shards[i].mu.Unlock()
		}
	}()

	ns := now.UnixNano()
	for j := range pend {
		pend[j].tat, pend[j].existed = s.shards[pend[j].shard].m[pend[j].key]
	}
	out := make([]Decision, len(reqs))
	all := true
	for i, r := range reqs {
		p := &pend[slot[i]]
		out[i], p.tat = gcra(p.tat, ns, r.Rule, r.N)
		all = all && out[i].Allowed
	}
	if !all {
		return out, nil
	}
	for _, p := range pend {
		s.store(&s.shards[p.shard], p.key, p.tat, ns, p.existed)
	}
	return out, nil
}
