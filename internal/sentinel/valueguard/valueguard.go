// Package valueguard is what the sentinel's rule-based value guards
// (xssguard, pathguard) share around their detection: the bound on the
// bytes of a value inspected and the counters of what a guard did.
//
// sqlguard is not one of them: it inspects a long value's head and tail,
// counts a value while disabled, and has a threshold and a model.
package valueguard

import (
	"fmt"
	"sync/atomic"
)

// DefaultMaxLen is the number of bytes inspected when a guard's MaxLen
// is 0.
const DefaultMaxLen = 16 << 10

// CheckMaxLen reports a negative max_len, naming the agent.
func CheckMaxLen(agent string, maxLen int) error {
	if maxLen < 0 {
		return fmt.Errorf("%s: max_len %d is negative", agent, maxLen)
	}
	return nil
}

// Stats are a guard's counters since it was made.
type Stats struct {
	Inspected uint64 // values given to Inspect while enabled
	Flagged   uint64 // values found to be an attack
	Decoded   uint64 // values that took the slow path (the prefilter saw a character an attack needs)
	Truncated uint64 // values longer than MaxLen, of which only the head was inspected
}

// Counters count what a guard did; the zero value is ready, and its
// methods are safe for concurrent use.
type Counters struct {
	inspected atomic.Uint64
	flagged   atomic.Uint64
	decoded   atomic.Uint64
	truncated atomic.Uint64
}

// Head counts value as inspected and returns what of it is inspected:
// its first maxLen bytes (DefaultMaxLen when maxLen is 0 or negative),
// counting it as truncated when that cuts it.
func (c *Counters) Head(value string, maxLen int) string {
	c.inspected.Add(1)
	if maxLen <= 0 {
		maxLen = DefaultMaxLen
	}
	if len(value) > maxLen {
		c.truncated.Add(1)
		value = value[:maxLen]
	}
	return value
}

// Decoded counts a value that took the slow path.
func (c *Counters) Decoded() { c.decoded.Add(1) }

// Flagged counts a value found to be an attack.
func (c *Counters) Flagged() { c.flagged.Add(1) }

// Stats returns a snapshot of the counters.
func (c *Counters) Stats() Stats {
	return Stats{
		Inspected: c.inspected.Load(),
		Flagged:   c.flagged.Load(),
		Decoded:   c.decoded.Load(),
		Truncated: c.truncated.Load(),
	}
}
