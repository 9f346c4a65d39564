package auth

import (
	"context"
	"sync"
	"time"

	"github.com/magflock/mobo/internal/ratelimit"
)

// Limiter decides whether one more event under key is allowed, given at most
// limit events per window. The in-process token bucket is the default; a
// shared one (Redis, internal/ratelimit) fits behind the same interface.
type Limiter interface {
	Allow(key string, limit int, window time.Duration) bool
}

// buckets is a token bucket per key: capacity limit, refilled at
// limit/window. Full buckets are dropped when the map grows.
type buckets struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newBuckets(now func() time.Time) *buckets { return &buckets{now: now, m: map[string]*bucket{}} }

// Allow implements [Limiter].
func (b *buckets) Allow(key string, limit int, window time.Duration) bool {
	if limit <= 0 {
		return true
	}
	now := b.now()
	rate := float64(limit) / window.Seconds()
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.m[key]
	if !ok {
		if len(b.m) > 100_000 {
			b.sweep(now, rate, float64(limit))
		}
		bk = &bucket{tokens: float64(limit), last: now}
		b.m[key] = bk
	}
	bk.tokens = min(float64(limit), bk.tokens+now.Sub(bk.last).Seconds()*rate)
	bk.last = now
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}

func (b *buckets) sweep(now time.Time, rate, limit float64) {
	for k, bk := range b.m {
		if bk.tokens+now.Sub(bk.last).Seconds()*rate >= limit {
			delete(b.m, k)
		}
	}
}

// limit kinds.
const (
	limitSignIn  = "signin"
	limitRefresh = "refresh"
	limitEmail   = "email"
	limitSMS     = "sms"
	limitAccount = "account"
)

// allow checks the per-IP limit of kind and, when account is not empty, the
// per-account limit. It returns the error to answer with, or nil.
func (s *Service) allow(ref, ip, kind, account string) error {
	rl := s.cfg.RateLimit
	if rl.Disabled {
		return nil
	}
	var (
		limit  int
		window = 5 * time.Minute
		fail   = errRateLimited
	)
	switch kind {
	case limitSignIn:
		limit = rl.SignInSignUps
	case limitRefresh:
		limit = rl.TokenRefresh
	case limitEmail:
		limit, window, fail = rl.EmailSent, time.Hour, errEmailRateLimited
	case limitSMS:
		limit, window, fail = rl.SMSSent, time.Hour, errSMSRateLimited
	}
	if !s.limiter.Allow(ref+"|"+kind+"|ip|"+ip, limit, window) {
		return fail
	}
	if account != "" && !s.limiter.Allow(ref+"|"+limitAccount+"|"+account, rl.PerAccount, 5*time.Minute) {
		return fail
	}
	return nil
}

// StoreLimiter adapts a [ratelimit.Store] (the gateway's in-memory store, or
// a shared one) to [Limiter], so that several nodes share the auth limits.
// A failing store lets the request through, as the gateway's limiter does:
// an outage of the limiter must not lock users out.
type StoreLimiter struct {
	Store ratelimit.Store
	Now   func() time.Time
}

// Allow implements [Limiter].
func (l StoreLimiter) Allow(key string, limit int, window time.Duration) bool {
	if limit <= 0 {
		return true
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	d, err := l.Store.Take(context.Background(), "auth\x1f"+key, ratelimit.Rule{Rate: float64(limit) / window.Seconds(), Burst: limit}, 1, now())
	return err != nil || d.Allowed
}
