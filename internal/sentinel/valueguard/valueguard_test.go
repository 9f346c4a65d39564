package valueguard

import (
	"strings"
	"testing"
)

func TestCounters(t *testing.T) {
	t.Parallel()
	var c Counters
	if got := c.Head("hello", 0); got != "hello" {
		t.Errorf("Head(hello, 0) = %q", got)
	}
	if got := c.Head("hello", 3); got != "hel" {
		t.Errorf("Head(hello, 3) = %q", got)
	}
	if got := c.Head(strings.Repeat("a", DefaultMaxLen+1), -1); len(got) != DefaultMaxLen {
		t.Errorf("Head(long, -1) kept %d bytes, want %d", len(got), DefaultMaxLen)
	}
	c.Decoded()
	c.Flagged()
	if got, want := c.Stats(), (Stats{Inspected: 3, Flagged: 1, Decoded: 1, Truncated: 2}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if err := CheckMaxLen("x", -1); err == nil || err.Error() != "x: max_len -1 is negative" {
		t.Errorf("CheckMaxLen(-1) = %v", err)
	}
	if err := CheckMaxLen("x", 0); err != nil {
		t.Errorf("CheckMaxLen(0) = %v", err)
	}
}
