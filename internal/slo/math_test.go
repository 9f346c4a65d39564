package slo

import (
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestCountsMath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		c                      Counts
		target                 float64
		sli, burn, budgetRemai float64
	}{
		{"no traffic", Counts{}, 0.999, 1, 0, 1},
		{"all good", Counts{Good: 1000, Total: 1000}, 0.999, 1, 0, 1},
		{"exactly the budget", Counts{Good: 999, Total: 1000}, 0.999, 0.999, 1, 0},
		{"half the budget", Counts{Good: 9995, Total: 10000}, 0.999, 0.9995, 0.5, 0.5},
		{"page rate", Counts{Good: 9856, Total: 10000}, 0.999, 0.9856, 14.4, -13.4},
		{"everything failing", Counts{Good: 0, Total: 50}, 0.99, 0, 100, -99},
		{"good above total (readings not atomic)", Counts{Good: 101, Total: 100}, 0.99, 1, 0, 1},
		{"99% target at 2% errors", Counts{Good: 98, Total: 100}, 0.99, 0.98, 2, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.c.SLI(); !near(got, tc.sli) {
				t.Errorf("SLI = %v, want %v", got, tc.sli)
			}
			if got := tc.c.BurnRate(tc.target); !near(got, tc.burn) {
				t.Errorf("BurnRate = %v, want %v", got, tc.burn)
			}
			if got := tc.c.BudgetRemaining(tc.target); !near(got, tc.budgetRemai) {
				t.Errorf("BudgetRemaining = %v, want %v", got, tc.budgetRemai)
			}
		})
	}
}

func TestTimeToExhaustion(t *testing.T) {
	t.Parallel()
	month := 30 * 24 * time.Hour
	for _, tc := range []struct {
		name            string
		remaining, burn float64
		want            time.Duration
		ok              bool
	}{
		{"nothing burns", 1, 0, 0, false},
		{"spent", -0.5, 3, 0, true},
		{"whole budget at 1x lasts the window", 1, 1, month, true},
		{"whole budget at 14.4x", 1, 14.4, 50 * time.Hour, true},
		{"half left at 6x", 0.5, 6, 60 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := timeToExhaustion(tc.remaining, tc.burn, month)
			if ok != tc.ok || (got-tc.want).Abs() > time.Second {
				t.Errorf("timeToExhaustion(%v, %v) = %v, %v; want %v, %v", tc.remaining, tc.burn, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestHistoryWindows(t *testing.T) {
	t.Parallel()
	step := int64(5 * time.Minute)
	h := newHistory(40, 100, step) // 40 readings kept finely
	t0 := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC).UnixNano()
	// one reading a minute for 3 hours: 10 requests a minute, the
	// minute's last one bad from minute 120 on
	var c Counts
	for m := int64(0); m <= 180; m++ {
		if m > 0 {
			c.Total += 10
			c.Good += 10
			if m > 120 {
				c.Good--
			}
		}
		h.add(sample{t: t0 + m*int64(time.Minute), Counts: c})
	}
	for _, tc := range []struct {
		name    string
		span    time.Duration
		want    Counts
		covered time.Duration
	}{
		{"5m, fine", 5 * time.Minute, Counts{Good: 45, Total: 50}, 5 * time.Minute},
		{"30m, fine", 30 * time.Minute, Counts{Good: 270, Total: 300}, 30 * time.Minute},
		// 40 fine readings reach 39 minutes back: an hour is read from the
		// coarse ring, whose samples are every 5 minutes (120 is one)
		{"1h, coarse", time.Hour, Counts{Good: 540, Total: 600}, time.Hour},
		{"2h", 2 * time.Hour, Counts{Good: 1140, Total: 1200}, 2 * time.Hour},
		// younger than the window: what there is
		{"1d, partial", 24 * time.Hour, Counts{Good: 1740, Total: 1800}, 3 * time.Hour},
	} {
		got, covered := h.window(int64(tc.span))
		if got != tc.want || time.Duration(covered) != tc.covered {
			t.Errorf("%s: window = %+v over %v, want %+v over %v", tc.name, got, time.Duration(covered), tc.want, tc.covered)
		}
	}
	// a 7-minute window between coarse samples is read from the nearest
	// sample at or before its start
	h2 := newHistory(2, 100, step)
	for m := int64(0); m <= 20; m++ {
		h2.add(sample{t: t0 + m*int64(time.Minute), Counts: Counts{Good: float64(m), Total: float64(m)}})
	}
	if got, covered := h2.window(int64(7 * time.Minute)); got.Total != 10 || time.Duration(covered) != 10*time.Minute {
		t.Errorf("7m over coarse samples: %+v over %v, want 10 over 10m", got, time.Duration(covered))
	}
}

func TestRingBounded(t *testing.T) {
	t.Parallel()
	r := newRing(3)
	for i := range 10 {
		r.push(sample{t: int64(i)})
	}
	if r.n != 3 || r.at(0).t != 7 || r.at(2).t != 9 {
		t.Fatalf("ring keeps %d from %d to %d, want 3 from 7 to 9", r.n, r.at(0).t, r.at(2).t)
	}
	if s, ok := r.atOrBefore(8); !ok || s.t != 8 {
		t.Errorf("atOrBefore(8) = %v %v", s.t, ok)
	}
	if _, ok := r.atOrBefore(6); ok {
		t.Errorf("atOrBefore(6) found a sample the ring dropped")
	}
}
