package window

import "math"

// huberC is where [Robust] clips residuals, in deviations: about the
// 99th percentile of a normal's absolute residual over its mean absolute
// deviation.
const huberC = 3.0

// Robust is an online estimate of a series' typical value and spread that
// one outlier cannot drag: exponentially weighted Huber estimates of
// location and mean absolute deviation. Each sample's residual is clipped
// at huberC deviations before it updates either, once a few samples are
// in. The weight of a new sample is 1/n while n < 1/alpha (so the first
// samples average exactly) and alpha after. The zero Robust has seen
// nothing.
type Robust struct {
	loc, dev float64
	n        uint32
}

// Update adds sample x with weight alpha in (0, 1]; floor is the least
// deviation assumed (so that a constant series does not make every change
// infinitely surprising).
func (r *Robust) Update(x, alpha, floor float64) {
	if r.n < math.MaxUint32 {
		r.n++
	}
	if r.n == 1 {
		r.loc, r.dev = x, 0
		return
	}
	eta := max(alpha, 1/float64(r.n))
	d := x - r.loc
	if r.n > 4 {
		c := huberC * max(r.dev, floor)
		d = min(max(d, -c), c)
	}
	r.loc += eta * d
	r.dev += eta * (math.Abs(d) - r.dev)
}

// N returns the number of samples seen.
func (r *Robust) N() int { return int(r.n) }

// Loc returns the estimated typical value.
func (r *Robust) Loc() float64 { return r.loc }

// Dev returns the estimated mean absolute deviation, at least floor.
func (r *Robust) Dev(floor float64) float64 { return max(r.dev, floor) }

// Z returns how many deviations (at least floor) x is above the typical
// value.
func (r *Robust) Z(x, floor float64) float64 { return (x - r.loc) / max(r.dev, floor) }

// Peak is a decaying maximum, in log units: the largest sample seen,
// lowered by ln 2 per half-life since. An actor that once read 5000 rows
// may do so again without it being news. The zero Peak has seen nothing.
type Peak struct {
	v  float64
	at int64
	ok bool
}

// Value returns the peak at now, with halfLife in nanoseconds.
func (p *Peak) Value(now, halfLife int64) float64 {
	if !p.ok {
		return math.Inf(-1)
	}
	if now <= p.at || halfLife <= 0 {
		return p.v
	}
	return p.v - math.Ln2*float64(now-p.at)/float64(halfLife)
}

// Update raises the peak to x if x is above its value at now.
func (p *Peak) Update(x float64, now, halfLife int64) {
	if x > p.Value(now, halfLife) {
		p.v, p.at, p.ok = x, now, true
	}
}
