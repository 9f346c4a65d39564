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
		{"ratelimit store", func(now func() time.Time) Limiter { return StoreLimiter{Store: store, Now: now} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			l := tt.mk(clk.now)
			key := tt.name + "|k"
			allow := func(key string, limit int) bool { ok, _ := l.Allow(key, limit, time.Minute); return ok }
			for i := range 3 {
				if !allow(key, 3) {
					t.Fatalf("call %d refused", i)
				}
			}
			ok, retry := l.Allow(key, 3, time.Minute)
			if ok || retry <= 0 || retry > 20*time.Second {
				t.Fatalf("fourth call: allowed %v, retry after %v; want refused, within 20 s", ok, retry)
			}
			if !allow(tt.name+"|other", 3) {
				t.Fatal("another key refused")
			}
			clk.add(20 * time.Second) // one token back (3 per minute)
			if !allow(key, 3) {
				t.Fatal("refill did not happen")
			}
			if allow(key, 3) {
				t.Fatal("refilled more than one token")
			}
			if !allow(key, 0) {
				t.Fatal("limit 0 means no limit")
			}
		})
	}
}
