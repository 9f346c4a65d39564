package slo

import (
	"math"
	"time"
)

// Counts are the good and total requests of a window.
type Counts struct {
	Good  float64 `json:"good"`
	Total float64 `json:"total"`
}

// bad is what was not good (never negative: the counts of one reading
// are not taken at one instant).
func (c Counts) bad() float64 { return math.Max(0, c.Total-c.Good) }

// SLI is the share of good requests: 1 without requests (nothing went
// wrong).
func (c Counts) SLI() float64 {
	if c.Total <= 0 {
		return 1
	}
	return 1 - c.bad()/c.Total
}

// BurnRate is how fast the error budget of target burns over the window:
// the share of bad requests over the share allowed. At 1 the budget lasts
// exactly the objective's window; at 14.4 a 30-day budget is gone in 50
// hours.
func (c Counts) BurnRate(target float64) float64 {
	if c.Total <= 0 {
		return 0
	}
	return (c.bad() / c.Total) / (1 - target)
}

// BudgetRemaining is the share of the window's error budget left: 1 with
// no bad request, 0 when exactly the allowed share went bad, negative
// when overspent.
func (c Counts) BudgetRemaining(target float64) float64 {
	if c.Total <= 0 {
		return 1
	}
	return 1 - c.bad()/((1-target)*c.Total)
}

// timeToExhaustion is how long the budget's remaining share lasts at
// burn rate over a budget window: 0 when already spent; ok is false when
// nothing burns.
func timeToExhaustion(remaining, burn float64, window time.Duration) (d time.Duration, ok bool) {
	if remaining <= 0 {
		return 0, true
	}
	if burn <= 0 {
		return 0, false
	}
	return time.Duration(remaining / burn * float64(window)), true
}
