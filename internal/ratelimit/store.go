package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Decision is the outcome of taking tokens from one bucket (or, from
// [Limiter.Check], from the most restrictive of several).
type Decision struct {
	Allowed bool
	// Limit is the bucket size (the rule's burst): the most a client can
	// spend at once. Zero when no rule applied.
	Limit int
	// Remaining is the number of tokens left after this request.
	Remaining int
	// RetryAfter is how long to wait before the same request would be
	// allowed; zero when Allowed.
	RetryAfter time.Duration
	// Reset is how long until the bucket is full again (Remaining == Limit).
	Reset time.Duration
	// Dimension names the key that decided, when the decision came from a
	// [Limiter]: the denying key, or the one with the fewest tokens left.
	Dimension string
}

// Store holds token buckets by key. It is what a shared backend implements
// (a Redis store runs the same arithmetic as [gcra] in a Lua script, keyed by
// the bucket's theoretical arrival time, expiring it when the bucket is full).
//
// Take removes n tokens from the bucket at key under rule, as of now, if they
// are all there, and reports the result. A denial is not an error: err is
// for a broken store, an invalid rule, or n > rule.Burst
// ([ErrCostExceedsBurst]). n == 0 consumes nothing and reports the bucket's
// state. Take must be safe for concurrent use; it may block on I/O and must
// then honour ctx. A key used with different rules over time behaves as if
// the new rule had always applied, from the bucket's current deficit.
type Store interface {
	Take(ctx context.Context, key string, rule Rule, n int, now time.Time) (Decision, error)
}

// Request is one bucket in a [MultiStore.TakeAll] call.
type Request struct {
	Key  string
	Rule Rule
	N    int
}

// MultiStore is an optional ability of a [Store]: taking from several
// buckets all or nothing, atomically. [Limiter] uses it when present.
// TakeAll returns one decision per request, in order; if any is denied,
// no bucket is changed.
type MultiStore interface {
	TakeAll(ctx context.Context, reqs []Request, now time.Time) ([]Decision, error)
}

// checkTake validates the arguments every Store receives.
func checkTake(rule Rule, n int) error {
	if err := rule.Validate(); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("taking %d tokens: %w", n, ErrInvalidRule)
	}
	if n > rule.Burst {
		return fmt.Errorf("taking %d tokens from a bucket of %d: %w", n, rule.Burst, ErrCostExceedsBurst)
	}
	return nil
}

// gcra is the whole bucket arithmetic (the generic cell rate algorithm, an
// exact equivalent of a token bucket). The state is one number, tat: the
// time at which the bucket will be full again, in Unix nanoseconds; a bucket
// whose tat is not after now is full, which is why such an entry can be
// dropped. With interval T and burst B, n tokens are available when
// max(tat, now) + n·T - B·T <= now. All arithmetic is in int64 nanoseconds,
// so counts over time are exact: after a full bucket is drained, exactly one
// token comes back every T.
//
// It returns the decision and the new tat (unchanged when denied).
// The arguments must have passed checkTake.
func gcra(tat, now int64, rule Rule, n int) (Decision, int64) {
	t := rule.interval()
	span := int64(rule.Burst) * t
	if tat < now {
		tat = now
	} else if tat > now+span {
		tat = now + span // left by a rule with a bigger bucket: now empty
	}
	newTAT := tat + int64(n)*t
	d := Decision{Limit: rule.Burst}
	if allowAt := newTAT - span; allowAt > now {
		d.RetryAfter = time.Duration(allowAt - now)
		d.Remaining = int((now + span - tat) / t)
		d.Reset = time.Duration(tat - now)
		return d, tat
	}
	d.Allowed = true
	d.Remaining = int((now + span - newTAT) / t)
	d.Reset = time.Duration(newTAT - now)
	return d, newTAT
}
