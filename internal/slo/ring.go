package slo

import "sort"

// sample is an objective's cumulative counts at a time (unix nanoseconds).
// The counts only grow: resets of the underlying counters are absorbed
// when they are read (see [reader]).
type sample struct {
	t int64
	Counts
}

// ring is a bounded, time-ordered buffer of samples: when full, a push
// overwrites the oldest.
type ring struct {
	buf   []sample
	start int
	n     int
}

func newRing(capacity int) *ring { return &ring{buf: make([]sample, max(capacity, 2))} }

func (r *ring) push(s sample) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = s
		r.n++
		return
	}
	r.buf[r.start] = s
	r.start = (r.start + 1) % len(r.buf)
}

// at is the i-th sample, oldest first.
func (r *ring) at(i int) sample { return r.buf[(r.start+i)%len(r.buf)] }

func (r *ring) last() (sample, bool) {
	if r.n == 0 {
		return sample{}, false
	}
	return r.at(r.n - 1), true
}

func (r *ring) first() (sample, bool) {
	if r.n == 0 {
		return sample{}, false
	}
	return r.at(0), true
}

// atOrBefore is the latest sample taken at or before t.
func (r *ring) atOrBefore(t int64) (sample, bool) {
	i := sort.Search(r.n, func(i int) bool { return r.at(i).t > t })
	if i == 0 {
		return sample{}, false
	}
	return r.at(i - 1), true
}

// history is one objective's samples: every reading for the recent past
// (fine), one every coarse step for as long as the longest window
// (coarse).
type history struct {
	fine, coarse *ring
	step         int64 // coarse step, ns
}

func newHistory(fineCap, coarseCap int, step int64) *history {
	return &history{fine: newRing(fineCap), coarse: newRing(coarseCap), step: step}
}

// add records a reading; it reports whether it was also kept as a coarse
// sample.
func (h *history) add(s sample) (coarse bool) {
	if l, ok := h.fine.last(); ok && s.t < l.t {
		return false // the clock went back: keep the series ordered
	}
	h.fine.push(s)
	if l, ok := h.coarse.last(); !ok || s.t-l.t >= h.step {
		h.coarse.push(s)
		return true
	}
	return false
}

// window is the counts between the latest sample and the one closest to
// (at or before) span ago — or the oldest kept, when the history is
// younger than span; covered is the time the counts span.
func (h *history) window(span int64) (c Counts, covered int64) {
	end, ok := h.fine.last()
	if !ok {
		return Counts{}, 0
	}
	from := end.t - span
	base, found := sample{}, false
	for _, r := range []*ring{h.fine, h.coarse} {
		if s, ok := r.atOrBefore(from); ok && (!found || s.t > base.t) {
			base, found = s, true
		}
	}
	if !found {
		for _, r := range []*ring{h.coarse, h.fine} {
			if s, ok := r.first(); ok && (!found || s.t < base.t) {
				base, found = s, true
			}
		}
	}
	return Counts{Good: end.Good - base.Good, Total: end.Total - base.Total}, end.t - base.t
}
