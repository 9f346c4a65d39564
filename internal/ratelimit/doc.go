// Package ratelimit owns token-bucket rate limiting for the gateway and the
// APIs: rules and their text form ([Rule], [ParseRule]), bucket storage
// ([Store], with [MemoryStore] in process and room for a shared store such
// as Redis), checking a request against several dimensions at once
// ([Limiter]), per-project and per-route configuration ([Config],
// [Policy]), and the HTTP edge ([Middleware], [SetHeaders], [ClientIP]).
//
// # Algorithm
//
// Buckets use GCRA, an exact formulation of a token bucket whose state is a
// single timestamp per key: when the bucket will be full again. A bucket
// past that time is full and needs no state, so stores drop it. Arithmetic
// is in int64 nanoseconds with a refill interval rounded to the
// nanosecond, so the number of requests allowed over any span of time is
// exact: Burst plus one per interval elapsed.
//
// # Semantics
//
// [Limiter.Check] allows a request only when every key allows it, and then
// takes one token from each; a denied request takes nothing (atomically
// with a [MultiStore]; see Check for a plain [Store]). It reports the most
// restrictive key's decision, which [SetHeaders] writes as RateLimit-Limit,
// RateLimit-Remaining, RateLimit-Reset and, when denied, Retry-After. The
// APIs write their own 429 body through [Middleware]'s deny callback.
// [Middleware] fails open when the store returns an error.
//
// # Concurrency
//
//   - [Rule], [Decision], [Key] and [Policy] are values, immutable once
//     built, safe to share between goroutines.
//   - [MemoryStore] is safe for concurrent use. Each key lives in one of
//     several shards, each behind its own mutex held only for one map
//     lookup and update; [MemoryStore.TakeAll] locks its shards in index
//     order, so concurrent calls cannot deadlock. Nothing is held across a
//     call out of the package.
//   - [NewMemoryStore] starts one sweeper goroutine (unless disabled);
//     [MemoryStore.Close] stops it and waits for it, and is idempotent. A
//     store is owned by the component that created it, which closes it in
//     Stop.
//   - [Limiter] is safe for concurrent use; set its fields before first use
//     and do not change them after.
//   - The time passed to [Store.Take] must come from one clock per store
//     (the sweeper's, [MemoryOptions.Now]); with testing/synctest the
//     default time.Now is the bubble's virtual clock.
package ratelimit
