package auth

import (
	"testing"
	"time"

	"github.com/magflock/mobo/internal/ratelimit"
)

func TestLimiters(t *testing.T) {
	t.Parallel()
	store := ratelimit.NewMemoryStore(ratelimit.MemoryOptions{SweepInterval: -1})
	t.Cleanup(func() { _ = store.Close() })
	for _, tt := range []struct {
		name string
		mk   func(now func() time.Time) Limiter
	}{
		{"buckets", func(now func() time.Time) Limiter { return newBuckets(now) }},
		{"ratelimit store", func(now func() time.Time) Limiter { return StoreLimiter{Store: store, Now: now} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			l := tt.mk(clk.now)
			key := tt.name + "|k"
			for i := range 3 {
				if !l.Allow(key, 3, time.Minute) {
					t.Fatalf("call %d refused", i)
				}
			}
			if l.Allow(key, 3, time.Minute) {
				t.Fatal("fourth call allowed")
			}
			if !l.Allow(tt.name+"|other", 3, time.Minute) {
				t.Fatal("another key refused")
			}
			clk.add(20 * time.Second) // one token back (3 per minute)
			if !l.Allow(key, 3, time.Minute) {
				t.Fatal("refill did not happen")
			}
			if l.Allow(key, 3, time.Minute) {
				t.Fatal("refilled more than one token")
			}
			if !l.Allow(key, 0, time.Minute) {
				t.Fatal("limit 0 means no limit")
			}
		})
	}
}
