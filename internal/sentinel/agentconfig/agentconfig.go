// Package agentconfig is how the sentinel's behaviour agents (apiwatch,
// authsentry, dataguard, privguard) check and fill in their configs:
// zero means the documented default, a negative count or window is an
// error, and Validate reports every problem at once, each wrapping the
// agent's ErrInvalidConfig.
package agentconfig

import (
	"errors"
	"fmt"
	"time"
)

// Problems collects a config's problems. Make one with [Check].
type Problems struct {
	invalid error
	errs    []error
}

// Check starts collecting problems that wrap invalid.
func Check(invalid error) *Problems { return &Problems{invalid: invalid} }

// Addf records a problem: invalid, a colon, then the formatted text.
func (p *Problems) Addf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%w: %s", p.invalid, fmt.Sprintf(format, args...)))
}

// Err joins the problems in the order found; nil when there are none.
func (p *Problems) Err() error { return errors.Join(p.errs...) }

// Number is what a count, size, factor or window is.
type Number interface {
	~int | ~int64 | ~float64
}

// NonNegative records a problem when v, the field named name, is negative.
func NonNegative[T Number](p *Problems, name string, v T) {
	if v < 0 {
		p.Addf("%s is %v, want 0 (the default) or more", name, v)
	}
}

// AtMost records a problem when v, the field named name, is over limit.
func AtMost[T Number](p *Problems, name string, v, limit T) {
	if v > limit {
		p.Addf("%s is %v, want at most %v", name, v, limit)
	}
}

// FactorAtLeastOne records a problem when the factor named name is set
// (not 0) and under 1.
func FactorAtLeastOne(p *Problems, name string, v float64) {
	if v != 0 && v < 1 {
		p.Addf("%s is %v, want 0 (the default) or at least 1", name, v)
	}
}

// IntervalAtLeastSecond records a problem when the interval named name
// is set (not 0) and under a second.
func IntervalAtLeastSecond(p *Problems, name string, d time.Duration) {
	if d != 0 && d < time.Second {
		p.Addf("%s is %v, want at least 1s", name, d)
	}
}

// Default sets *v to d when it is the zero value.
func Default[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// DefaultList sets *v to d when it is empty.
func DefaultList[T any](v *[]T, d []T) {
	if len(*v) == 0 {
		*v = d
	}
}
