package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds on a rule. They keep the bucket arithmetic in int64 nanoseconds far
// from overflow: burst × interval is at most maxSpan.
const (
	maxCount = 1_000_000_000
	maxSpan  = 100 * 366 * 24 * time.Hour
)

// Rule is a token bucket: it refills at Rate tokens per second and holds at
// most Burst tokens. A new (or long idle) bucket is full, so a client may
// spend Burst tokens at once and then Rate per second.
//
// Its text form, read by [ParseRule] and written by [Rule.String], is
// "<count>/<period> [burst <n>]": "100/s", "1000/min burst 50", "10/h",
// "5/15m". The burst defaults to the count.
type Rule struct {
	Rate  float64 // tokens per second, > 0
	Burst int     // bucket size, ≥ 1
}

// interval is the time one token takes to refill, rounded to the nanosecond.
// Stores work in whole intervals so that counts over time are exact.
func (r Rule) interval() int64 {
	return int64(math.Round(1e9 / r.Rate))
}

// Validate reports whether r can be used by a [Store].
func (r Rule) Validate() error {
	switch {
	case math.IsNaN(r.Rate) || math.IsInf(r.Rate, 0) || r.Rate <= 0:
		return fmt.Errorf("%w: rate %v must be a positive number", ErrInvalidRule, r.Rate)
	case r.Rate > 1e9:
		return fmt.Errorf("%w: rate %v exceeds 1e9 per second", ErrInvalidRule, r.Rate)
	case r.Burst < 1 || r.Burst > maxCount:
		return fmt.Errorf("%w: burst %d must be between 1 and %d", ErrInvalidRule, r.Burst, maxCount)
	}
	iv := r.interval()
	if iv < 1 || iv > int64(maxSpan)/int64(r.Burst) {
		return fmt.Errorf("%w: burst %d at rate %v/s takes longer than %v to refill", ErrInvalidRule, r.Burst, r.Rate, maxSpan)
	}
	return nil
}

var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParseRule parses the text form of a [Rule]: "<count>/<period> [burst <n>]".
// The period is a unit (s, min, h, d and their long names) or a Go duration
// such as "10s" or "15m". Case and spaces around "/" do not matter.
// Errors wrap [ErrInvalidRule].
func ParseRule(s string) (Rule, error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) == 0 {
		return Rule{}, fmt.Errorf("%w: empty rule (want e.g. \"100/s\" or \"1000/min burst 50\")", ErrInvalidRule)
	}
	ratePart, burstPart := fields, []string(nil)
	for i, f := range fields {
		if f == "burst" {
			ratePart, burstPart = fields[:i], fields[i:]
			break
		}
	}
	countStr, period, ok := strings.Cut(strings.Join(ratePart, ""), "/")
	if !ok {
		return Rule{}, fmt.Errorf("%w %q: want <count>/<period>, e.g. \"100/s\"", ErrInvalidRule, s)
	}
	count, err := parseCount(countStr)
	if err != nil {
		return Rule{}, fmt.Errorf("%w %q: count %w", ErrInvalidRule, s, err)
	}
	window, ok := units[period]
	if !ok {
		if period == "" || period[0] < '0' || period[0] > '9' {
			return Rule{}, fmt.Errorf("%w %q: unknown period %q (want s, min, h, d or a duration such as 10s)", ErrInvalidRule, s, period)
		}
		window, err = time.ParseDuration(period)
		if err != nil || window <= 0 {
			return Rule{}, fmt.Errorf("%w %q: period %q is not a positive duration", ErrInvalidRule, s, period)
		}
	}
	burst := count
	if burstPart != nil {
		if len(burstPart) != 2 {
			return Rule{}, fmt.Errorf("%w %q: want \"burst <n>\" at the end", ErrInvalidRule, s)
		}
		if burst, err = parseCount(burstPart[1]); err != nil {
			return Rule{}, fmt.Errorf("%w %q: burst %w", ErrInvalidRule, s, err)
		}
	}
	if int64(window) < int64(count) {
		return Rule{}, fmt.Errorf("%w %q: more than one token per nanosecond", ErrInvalidRule, s)
	}
	r := Rule{Rate: float64(count) / window.Seconds(), Burst: burst}
	if err := r.Validate(); err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", s, err)
	}
	return r, nil
}

// parseCount accepts a decimal integer in [1, maxCount], digits only.
func parseCount(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("is missing")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a whole number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 1 || n > maxCount {
		return 0, fmt.Errorf("%q must be between 1 and %d", s, maxCount)
	}
	return int(n), nil
}

// String returns the text form of r, readable by [ParseRule]. It prefers the
// period whose count equals the burst ("60/min" rather than "1/s burst 60").
func (r Rule) String() string {
	type form struct {
		n    int64
		unit string
	}
	var best *form
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"s", time.Second}, {"min", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}} {
		f := r.Rate * u.d.Seconds()
		n := math.Round(f)
		if n < 1 || n > maxCount || math.Abs(f-n) > 1e-9*n {
			continue
		}
		if best == nil || int(n) == r.Burst {
			best = &form{int64(n), u.name}
		}
		if int(n) == r.Burst {
			break
		}
	}
	var s string
	if best != nil {
		s = strconv.FormatInt(best.n, 10) + "/" + best.unit
		if best.n == int64(r.Burst) {
			return s
		}
	} else {
		s = "1/" + time.Duration(r.interval()).String()
		if r.Burst == 1 {
			return s
		}
	}
	return s + " burst " + strconv.Itoa(r.Burst)
}

// MarshalText implements [encoding.TextMarshaler] with [Rule.String].
func (r Rule) MarshalText() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseRule], so a
// Rule can be a string in a TOML or JSON config.
func (r *Rule) UnmarshalText(text []byte) error {
	v, err := ParseRule(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
