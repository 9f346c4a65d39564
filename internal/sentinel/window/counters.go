package window

import (
	"hash/maphash"
	"time"
)

// Recent keeps the times of the last few events, to answer "at least N
// events within W" exactly: keep N times, and check how many are within
// W. The zero Recent is empty.
type Recent struct {
	t    []int64
	next int
	size int
}

// Add records an event at now, keeping the last size times (size is the
// threshold the caller checks; a change of size restarts the count).
func (r *Recent) Add(now int64, size int) {
	if size <= 0 {
		return
	}
	if r.size != size { // grown as needed: most actors never come near size
		r.t, r.next, r.size = r.t[:0], 0, size
	}
	if len(r.t) < size {
		r.t = append(r.t, now)
		return
	}
	r.t[r.next] = now
	r.next = (r.next + 1) % size
}

// Within returns how many of the kept times are within w before now.
func (r *Recent) Within(now int64, w time.Duration) int {
	n := 0
	for _, t := range r.t {
		if now-t < int64(w) {
			n++
		}
	}
	return n
}

// Reset empties r, keeping its buffer.
func (r *Recent) Reset() { r.t, r.next = r.t[:0], 0 }

// Sum adds values (rows, bytes, requests) over a window, estimated from
// two fixed windows: the current one in full and the previous one
// weighted by how much of it the sliding window still covers. The zero
// Sum is empty.
type Sum struct {
	idx       int64 // the current fixed window's index, now / w
	cur, prev float64
}

// Add adds x at now to windows of length w. When the fixed window rolled,
// it returns the total of the last window that had anything and true.
func (s *Sum) Add(now int64, w time.Duration, x float64) (done float64, rolled bool) {
	idx := now / int64(w)
	switch {
	case idx == s.idx:
		s.cur += x
		return 0, false
	case idx < s.idx: // a late event: count it in the current window
		s.cur += x
		return 0, false
	}
	done, rolled = s.cur, s.cur > 0
	if idx == s.idx+1 {
		s.prev = s.cur
	} else {
		s.prev = 0
	}
	s.idx, s.cur = idx, x
	return done, rolled
}

// Current returns the total of the current fixed window at now (0 when
// the window has moved on).
func (s *Sum) Current(now int64, w time.Duration) float64 {
	if now/int64(w) != s.idx {
		return 0
	}
	return s.cur
}

// Value returns the estimated total within w before now.
func (s *Sum) Value(now int64, w time.Duration) float64 {
	idx := now / int64(w)
	switch idx {
	case s.idx:
		frac := float64(now-idx*int64(w)) / float64(w)
		return s.cur + s.prev*(1-frac)
	case s.idx + 1:
		frac := float64(now-idx*int64(w)) / float64(w)
		return s.cur * (1 - frac)
	}
	if idx < s.idx {
		return s.cur + s.prev
	}
	return 0
}

// Distinct counts distinct values, each known by a 64-bit hash, seen
// within a window: exactly up to the size given to Add, saturating there
// (a new value then replaces the least recently seen). It counts
// attempts per value too. The zero Distinct is empty.
type Distinct struct {
	items []distinctItem
}

type distinctItem struct {
	h    uint64
	last int64
	n    uint32
}

// Add records value h at now, keeping at most size values, and returns
// how many times h was recorded while kept.
func (d *Distinct) Add(h uint64, now int64, size int) uint32 {
	oldest := -1
	for i := range d.items {
		it := &d.items[i]
		if it.h == h {
			it.n++
			if now > it.last {
				it.last = now
			}
			return it.n
		}
		if oldest < 0 || it.last < d.items[oldest].last {
			oldest = i
		}
	}
	if len(d.items) < size {
		d.items = append(d.items, distinctItem{h: h, last: now, n: 1})
		return 1
	}
	if oldest >= 0 {
		d.items[oldest] = distinctItem{h: h, last: now, n: 1}
	}
	return 1
}

// Remove forgets value h.
func (d *Distinct) Remove(h uint64) {
	for i := range d.items {
		if d.items[i].h == h {
			last := len(d.items) - 1
			d.items[i] = d.items[last]
			d.items = d.items[:last]
			return
		}
	}
}

// Within returns the number of distinct values seen within w before now
// and the sum of their counts.
func (d *Distinct) Within(now int64, w time.Duration) (distinct, total int) {
	for _, it := range d.items {
		if now-it.last < int64(w) {
			distinct++
			total += int(it.n)
		}
	}
	return distinct, total
}

// Reset empties d, keeping its buffer.
func (d *Distinct) Reset() { d.items = d.items[:0] }

// Latch turns a level into edges: it fires at the first crossing and then
// at most once per period. The zero Latch fires at once.
type Latch struct {
	last int64
	set  bool
}

// Fire reports whether to report now, and if so remembers now.
func (l *Latch) Fire(now int64, every time.Duration) bool {
	if l.set && now-l.last < int64(every) {
		return false
	}
	l.set, l.last = true, now
	return true
}

// Fired reports whether l fired within every before now.
func (l *Latch) Fired(now int64, every time.Duration) bool {
	return l.set && now-l.last < int64(every)
}

var seed = maphash.MakeSeed()

// Hash returns a hash of s for [Distinct], stable within the process.
func Hash(s string) uint64 { return maphash.String(seed, s) }

// Hash2 returns a hash of the pair (a, b) for [Distinct].
func Hash2(a, b string) uint64 {
	return maphash.String(seed, a)*0x9e3779b97f4a7c15 ^ maphash.String(seed, b)
}
