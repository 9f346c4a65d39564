package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Key is one bucket a request draws from: a dimension ("ip", "apikey",
// "user", "email", …), the value identifying the client in it, and the rule.
type Key struct {
	Dimension string
	// Value identifies the client within the dimension. It becomes part of
	// a store key, so it must not be a secret: use an API key's id or a
	// hash, never the key itself.
	Value string
	Rule  Rule
	// Scope separates buckets of the same dimension and value, e.g. a
	// route's own limit from the project default. [Policy.Keys] sets it to
	// the matched route pattern ("" for the defaults).
	Scope string
}

// Limiter checks a request against several keys at once. Its fields are
// read-only once it is in use; it is safe for concurrent use.
type Limiter struct {
	// Store holds the buckets. Required.
	Store Store
	// Prefix namespaces the store keys, e.g. with a project ref, so that
	// several limiters can share one store.
	Prefix string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger, if set, records store failures in [Middleware].
	Logger *slog.Logger
}

// NewLimiter returns a limiter over store, with keys under prefix.
func NewLimiter(store Store, prefix string) *Limiter {
	return &Limiter{Store: store, Prefix: prefix}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// storeKey is prefix, scope, dimension and value joined by the ASCII unit
// separator, which [Config.Validate] keeps out of dimensions and patterns.
func (l *Limiter) storeKey(k Key) string {
	const sep = "\x1f"
	return l.Prefix + sep + k.Scope + sep + k.Dimension + sep + k.Value
}

// Check takes one token from the bucket of every key; the request is allowed
// only if every key allows it. The returned decision is the most restrictive
// one: when denied, the denial with the longest RetryAfter; when allowed,
// the key with the fewest tokens left (then the longest Reset). No keys
// means allowed, with Limit zero.
//
// Tokens are all or nothing: a denied request consumes from no key. With a
// [MultiStore] (such as [MemoryStore]) that holds atomically. With a plain
// [Store] Check first reads every bucket (Take with n = 0) and returns the
// denial without taking if one is short, then takes from each key in
// order; only if another request drains a later key between the read and
// the take is the request denied after taking from the earlier keys.
func (l *Limiter) Check(ctx context.Context, keys ...Key) (Decision, error) {
	if len(keys) == 0 {
		return Decision{Allowed: true}, nil
	}
	now := l.now()
	reqs := make([]Request, len(keys))
	for i, k := range keys {
		reqs[i] = Request{Key: l.storeKey(k), Rule: k.Rule, N: 1}
	}
	var ds []Decision
	var err error
	if ms, ok := l.Store.(MultiStore); ok {
		ds, err = ms.TakeAll(ctx, reqs, now)
	} else {
		ds, err = l.takeEach(ctx, reqs, now)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("checking rate limit %s: %w", describe(keys), err)
	}
	for i, k := range keys {
		if i < len(ds) { // takeEach may stop early
			ds[i].Dimension = k.Dimension
		}
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if stricter(d, best) {
			best = d
		}
	}
	return best, nil
}

// takeEach is Check's path for a store without TakeAll: read all, then take
// each. It returns as many decisions as it decided, at least one.
func (l *Limiter) takeEach(ctx context.Context, reqs []Request, now time.Time) ([]Decision, error) {
	ds := make([]Decision, len(reqs))
	short := false
	for i, r := range reqs {
		d, err := l.Store.Take(ctx, r.Key, r.Rule, 0, now)
		if err != nil {
			return nil, err
		}
		if d.Remaining < r.N {
			d.Allowed = false
			// Reset is when the bucket is full; N tokens are there
			// (Burst-N)·interval before that.
			d.RetryAfter = d.Reset - time.Duration(int64(r.Rule.Burst-r.N)*r.Rule.interval())
			if d.RetryAfter <= 0 {
				d.RetryAfter = time.Duration(r.Rule.interval())
			}
			short = true
		}
		ds[i] = d
	}
	if short {
		return ds, nil
	}
	for i, r := range reqs {
		d, err := l.Store.Take(ctx, r.Key, r.Rule, r.N, now)
		if err != nil {
			return nil, err
		}
		ds[i] = d
		if !d.Allowed {
			return ds[:i+1], nil
		}
	}
	return ds, nil
}

// stricter reports whether a is more restrictive than b.
func stricter(a, b Decision) bool {
	if a.Allowed != b.Allowed {
		return !a.Allowed
	}
	if !a.Allowed {
		return a.RetryAfter > b.RetryAfter
	}
	if a.Remaining != b.Remaining {
		return a.Remaining < b.Remaining
	}
	return a.Reset > b.Reset
}

func describe(keys []Key) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k.Dimension)
	}
	return b.String()
}
