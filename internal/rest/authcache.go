package rest

import (
	"sync"
	"time"

	"github.com/magflock/mobo/internal/authn"
)

// principalCache remembers verified tokens for a few seconds: verifying an
// HS256 JWT and decoding its claims is a good share of a small request's
// cost, and clients send the same token many times. An entry lives at most
// principalTTL and never past the token's exp, so a revoked key stops
// working within principalTTL. Only a stateless [authn.SecretAuthenticator]
// is cached this way; richer authenticators (sessions, revocable keys) keep
// their own caches.
type principalCache struct {
	mu sync.Mutex
	m  map[principalKey]principalEntry
}

type principalKey struct{ ref, apikey, bearer string }

type principalEntry struct {
	p       *authn.Principal
	expires time.Time
}

const (
	principalTTL      = 10 * time.Second
	principalCacheMax = 4096
)

func (c *principalCache) get(k principalKey, now time.Time) *authn.Principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		delete(c.m, k)
		return nil
	}
	return e.p
}

func (c *principalCache) put(k principalKey, p *authn.Principal, now time.Time) {
	expires := now.Add(principalTTL)
	exp, ok := p.Claims[authn.ClaimExp].(float64)
	if !ok {
		return // a token without exp, or the anonymous principal: not cached
	}
	if t := time.Unix(int64(exp), 0); t.Before(expires) {
		expires = t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= principalCacheMax {
		c.m = make(map[principalKey]principalEntry)
	}
	c.m[k] = principalEntry{p: p, expires: expires}
}
