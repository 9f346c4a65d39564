// Package window holds the bounded, time-driven state the sentinel's
// behaviour agents (apiwatch, authsentry, dataguard, privguard) keep per
// actor, so that each agent states its policy and none re-implements the
// mechanism.
//
//   - [Table] maps a [Key] (an actor at one scope, optionally with a
//     route) to an agent's state. It is sharded, each shard behind its own
//     mutex, bounded in size (the least recently seen entry is evicted
//     when a shard is full) and forgets entries idle longer than its idle
//     time, swept lazily: each access drops a few expired entries from the
//     cold end of the shard's recency list. Freed entries are reused, so a
//     table in its steady state does not allocate.
//   - [Recent] answers "at least N events within W" exactly, keeping the
//     times of the last N events (N is a threshold, tens at most).
//   - [Sum] is a sliding-window sum (rows, bytes), estimated from two
//     fixed windows weighted by overlap: O(1) memory, error bounded by the
//     previous window's contribution at the edge.
//   - [Distinct] counts distinct values (by 64-bit hash) seen within a
//     window, exactly up to a cap and saturating there; it keeps a count
//     per value, so an agent can tell "many accounts once each" from
//     "one account many times".
//   - [Latch] turns a level ("over the threshold") into edges: it fires
//     at the first crossing and then at most once per period, so the
//     analyzer gets one finding per attack stage, not one per request.
//   - [Robust] learns an actor's normal size online: an exponentially
//     weighted Huber estimate of location and absolute deviation, in the
//     caller's units (the agents use log1p of rows, bytes and rates).
//   - [Peak] is a decaying maximum, for "has this actor done this
//     before".
//   - [Tally] counts events and findings by label with atomics.
//
// # Why Huber EWMA for baselines
//
// DataGuard keeps one baseline per actor and route, possibly hundreds of
// thousands of them, and updates it on every read; so the estimator must
// be a few words of memory and O(1) per sample, with no allocation.
// Streaming quantile sketches (t-digest, DDSketch, GK) give true medians
// but cost kilobytes per key. An EWMA of mean and variance is cheap but
// not robust: one exfiltration-sized read inflates the variance and masks
// the next one. [Robust] keeps EWMA location and mean absolute deviation
// but clips each sample's residual at c·scale before it moves either
// (Huber's ψ), so a single outlier moves the baseline by at most η·c·scale
// — a bounded influence like the median's — while a lasting change of
// level is still followed within a few dozen samples. In log space the
// deviation is relative ("10× the usual"), which fits heavy-tailed sizes.
//
// # Time
//
// Every method takes the current time as Unix nanoseconds from the event
// being observed, never from the wall clock. Events from concurrent
// requests arrive slightly out of order; a time earlier than an entry's
// last is treated as that last time.
//
// # Concurrency
//
// [Table] and [Tally] are safe for concurrent use. The counters ([Recent],
// [Sum], [Distinct], [Latch], [Robust]) are plain values meant to live
// inside a Table entry and be used only within [Table.Do]'s callback,
// under the shard's lock.
package window
