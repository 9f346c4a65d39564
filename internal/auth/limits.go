package auth

import (
	"context"
	"time"

	"github.com/magflock/mobo/internal/ratelimit"
)

// Limiter decides whether one more event under key is allowed, given at most
// limit events per window, and when refused how long until it would be.
// [StoreLimiter] over the gateway's [ratelimit] stores (in-process by
// default, a shared one for several nodes) is the implementation.
type Limiter interface {
	Allow(key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration)
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
	if account != "" && s.guard != nil {
		if err := s.guard.AdmitAccount(ref, account); err != nil {
			return err
		}
	}
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
	if ok, retry := s.limiter.Allow(ref+"|"+kind+"|ip|"+ip, limit, window); !ok {
		return fail.after(retry)
	}
	if account != "" {
		if ok, retry := s.limiter.Allow(ref+"|"+limitAccount+"|"+account, rl.PerAccount, 5*time.Minute); !ok {
			return fail.after(retry)
		}
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
func (l StoreLimiter) Allow(key string, limit int, window time.Duration) (bool, time.Duration) {
	if limit <= 0 {
		return true, 0
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	d, err := l.Store.Take(context.Background(), "auth\x1f"+key, ratelimit.Rule{Rate: float64(limit) / window.Seconds(), Burst: limit}, 1, now())
	if err != nil || d.Allowed {
		return true, 0
	}
	return false, d.RetryAfter
}
