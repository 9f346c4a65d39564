package auth

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
)

// The service's caches are kernel caches (bounded, with TTLs), one of each
// kind for every project, so that an idle project holds none of its own.
// Entries also carry their expiry by the service's clock, which tests move.
//
//   - tokens: verified tokens until they expire. A client sends the same
//     token with every request, and verification (HMAC, JSON decoding, or
//     an RSA/ECDSA check) is most of the cost of authenticating. Keys
//     carry the project state's epoch: new signing keys, a rotated secret
//     or changed settings give the project a new epoch, and what was
//     verified before is never found again.
//   - keys: scoped key lookups, negative ones included, for keyCacheTTL
//     (how long another node may accept a revoked key; this node forgets
//     it at once).
//   - roles: a project's role permissions, for roleCacheTTL.
//   - headers: decoded JOSE headers; a project's tokens share a handful.
type caches struct {
	tokens  *kernel.MemoryCache[expiring[*gate.Principal]]
	keys    *kernel.MemoryCache[expiring[*cachedKey]]
	roles   *kernel.MemoryCache[expiring[map[string][]permission]]
	headers *kernel.MemoryCache[joseHeader]
}

const (
	tokenCacheMax  = 20_000
	keyCacheMax    = 10_000
	roleCacheMax   = 1_000
	headerCacheMax = 256
	headerMaxLen   = 256 // longer headers are not kept
)

func newCaches() *caches {
	return &caches{
		tokens:  kernel.NewMemoryCache[expiring[*gate.Principal]](tokenCacheMax),
		keys:    kernel.NewMemoryCache[expiring[*cachedKey]](keyCacheMax),
		roles:   kernel.NewMemoryCache[expiring[map[string][]permission]](roleCacheMax),
		headers: kernel.NewMemoryCache[joseHeader](headerCacheMax),
	}
}

// close stops the caches' clean-up goroutines; they stay usable.
func (c *caches) close() {
	c.tokens.Close()
	c.keys.Close()
	c.roles.Close()
	c.headers.Close()
}

// expiring is a cached value with its expiry by the service's clock.
type expiring[V any] struct {
	v       V
	expires time.Time
}

// getFresh returns the value of key unless it expired at now.
func getFresh[V any](c *kernel.MemoryCache[expiring[V]], key string, now time.Time) (V, bool) {
	e, ok, _ := c.Get(context.Background(), key) // a memory cache never fails
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// putUntil keeps v under key until expires (by the service's clock, now).
func putUntil[V any](c *kernel.MemoryCache[expiring[V]], key string, v V, now, expires time.Time) {
	if ttl := expires.Sub(now); ttl > 0 {
		_ = c.Set(context.Background(), key, expiring[V]{v: v, expires: expires}, ttl)
	}
}

// epochs numbers the states of projects; see [project.epoch].
var epochs atomic.Uint64

// tokenKey is token tok's cache key in project p's current state.
func (p *project) tokenKey(tok string) string {
	return strconv.FormatUint(p.epoch.Load(), 36) + "\x00" + tok
}

// renew gives p a new epoch: tokens verified before are not found again.
func (p *project) renew() { p.epoch.Store(epochs.Add(1)) }
