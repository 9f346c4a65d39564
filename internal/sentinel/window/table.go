package window

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// Key names one actor at one scope in a [Table], optionally with a
// qualifier (a route, a kind of state). Scope is one of the
// [event.Finding] scopes ("ip", "net", "key", "user", "session",
// "account"); Addr is set for "ip" and "net", ID for the others. Keys are
// compared as values, so building one does not allocate.
type Key struct {
	Scope string
	Addr  netip.Addr
	ID    string
	Sub   string
}

// numShards is the number of shards of a Table; a power of two.
const numShards = 32

// sweepPerAccess bounds the expired entries one access removes, so that
// no single request pays for a large sweep.
const sweepPerAccess = 4

// Resetter is implemented by entry values that keep buffers worth reusing:
// a [Table] calls Reset instead of zeroing the value when the entry is
// recycled or expired.
type Resetter interface{ Reset() }

// Table maps [Key]s to values of type V, bounded in size and forgetting
// idle entries. The zero Table is not usable; make one with [NewTable].
type Table[V any] struct {
	seed   maphash.Seed
	idle   int64
	perCap int
	shards [numShards]shard[V]
}

type shard[V any] struct {
	mu sync.Mutex
	m  map[uint64]*node[V] // by the key's hash; collisions chain

	head, tail *node[V] // head is the most recently used
	free       *node[V]
	n          int      // entries
	_          [64]byte // keep shards' locks on separate cache lines
}

type node[V any] struct {
	key        Key
	hash       uint64
	chain      *node[V] // the next node with the same hash
	last       int64
	prev, next *node[V]
	val        V
}

// NewTable returns a table of at most maxEntries entries (at least 8 per
// shard) that forgets an entry not accessed for idle.
func NewTable[V any](maxEntries int, idle time.Duration) *Table[V] {
	per := max(maxEntries/numShards, 8)
	t := &Table[V]{seed: maphash.MakeSeed(), idle: int64(idle), perCap: per}
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]*node[V], min(per, 64))
	}
	return t
}

func (t *Table[V]) hash(k *Key) uint64 {
	h := maphash.String(t.seed, k.ID)
	if k.Sub != "" {
		h ^= maphash.String(t.seed, k.Sub) * 0x9e3779b97f4a7c15
	}
	if k.Addr.IsValid() {
		a := k.Addr.As16()
		h ^= maphash.Bytes(t.seed, a[:]) * 0xc2b2ae3d27d4eb4f
	}
	if len(k.Scope) > 0 {
		h += uint64(k.Scope[0]) << 7
	}
	return h ^ h>>29
}

// Do runs fn on the value of k at time now, creating a zero value when k
// is absent or was idle longer than the table's idle time. fn runs under
// the shard's lock: it must be quick and must not use the table.
func (t *Table[V]) Do(k Key, now int64, fn func(v *V)) {
	h := t.hash(&k)
	s := &t.shards[h&(numShards-1)]
	s.mu.Lock()
	n := s.get(k, h, now, t.idle, t.perCap, true)
	fn(&n.val)
	s.mu.Unlock()
}

// Peek runs fn on the value of k if k is present and not expired, and
// reports whether it did. It refreshes the entry's last access.
func (t *Table[V]) Peek(k Key, now int64, fn func(v *V)) bool {
	h := t.hash(&k)
	s := &t.shards[h&(numShards-1)]
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.get(k, h, now, t.idle, t.perCap, false)
	if n == nil {
		return false
	}
	fn(&n.val)
	return true
}

// Len returns the number of entries, expired ones not yet swept included.
func (t *Table[V]) Len() int {
	total := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		total += s.n
		s.mu.Unlock()
	}
	return total
}

func (s *shard[V]) get(k Key, h uint64, now, idle int64, perCap int, create bool) *node[V] {
	s.sweep(now, idle)
	n := s.m[h]
	for n != nil && n.key != k {
		n = n.chain
	}
	if n != nil {
		if idle > 0 && now-n.last > idle {
			if !create {
				s.remove(n)
				return nil
			}
			resetValue(&n.val)
		}
		if now > n.last {
			n.last = now
		}
		s.moveToFront(n)
		return n
	}
	if !create {
		return nil
	}
	if s.n >= perCap {
		s.remove(s.tail)
	}
	n = s.free
	if n != nil {
		s.free = n.next
		n.next = nil
	} else {
		n = new(node[V])
	}
	n.key, n.hash, n.last = k, h, now
	n.chain = s.m[h]
	s.m[h] = n
	s.n++
	s.pushFront(n)
	return n
}

// sweep removes up to sweepPerAccess entries idle for longer than idle.
func (s *shard[V]) sweep(now, idle int64) {
	if idle <= 0 {
		return
	}
	for range sweepPerAccess {
		n := s.tail
		if n == nil || now-n.last <= idle {
			return
		}
		s.remove(n)
	}
}

// remove unlinks n, resets its value and keeps it for reuse.
func (s *shard[V]) remove(n *node[V]) {
	switch head := s.m[n.hash]; {
	case head == n && n.chain == nil:
		delete(s.m, n.hash)
	case head == n:
		s.m[n.hash] = n.chain
	default:
		for p := head; p != nil; p = p.chain {
			if p.chain == n {
				p.chain = n.chain
				break
			}
		}
	}
	n.chain = nil
	s.n--
	s.unlink(n)
	resetValue(&n.val)
	n.key = Key{}
	n.next = s.free
	s.free = n
}

func (s *shard[V]) unlink(n *node[V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		s.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		s.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (s *shard[V]) pushFront(n *node[V]) {
	n.next = s.head
	if s.head != nil {
		s.head.prev = n
	}
	s.head = n
	if s.tail == nil {
		s.tail = n
	}
}

func (s *shard[V]) moveToFront(n *node[V]) {
	if s.head == n {
		return
	}
	s.unlink(n)
	s.pushFront(n)
}

func resetValue[V any](v *V) {
	if r, ok := any(v).(Resetter); ok {
		r.Reset()
		return
	}
	var zero V
	*v = zero
}
