package rest

import (
	"math"
	"strings"
)

// rangeHeader is the Range request header: rows lower..upper (upper < 0 for
// no upper bound).
type rangeHeader struct {
	lower, upper int64
}

// parseRangeHeader parses a Range header value, "0-9" or "10-". As in
// PostgREST a malformed value is ignored (ok false). The RFC 9110 form with
// the items unit, "items=0-9", is accepted too.
func parseRangeHeader(v string) (r rangeHeader, ok bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "items=")
	lo, hi, found := strings.Cut(v, "-")
	if !found || !isDigits(lo) || (hi != "" && !isDigits(hi)) {
		return rangeHeader{}, false
	}
	r.lower = clampDigits(lo)
	r.upper = -1
	if hi != "" {
		r.upper = clampDigits(hi)
	}
	return r, true
}

func clampDigits(s string) int64 {
	n, _ := parseInteger(s)
	return n
}

// empty reports whether the header asks for no rows: lower > upper.
func (h rangeHeader) empty() bool { return h.upper >= 0 && h.lower > h.upper }

// topLevelRange combines the Range header (nil when absent or ignored) with
// the root limit and offset the way PostgREST does: it is their intersection,
// except that limit=0 always means no rows. An empty intersection is
// PGRST103.
func topLevelRange(h *rangeHeader, q Range) (Range, error) {
	if q.Limit == 0 {
		return Range{Offset: q.Offset, Limit: 0}, nil
	}
	if h == nil {
		return q, nil
	}
	if h.empty() {
		return Range{}, rangeError(detailsLowerGTUpper)
	}
	lower := max(h.lower, q.Offset)
	upper := int64(math.MaxInt64) // inclusive
	if h.upper >= 0 {
		upper = h.upper
	}
	if q.Limit != NoLimit {
		upper = min(upper, satAdd(q.Offset, q.Limit-1))
	}
	if upper < lower {
		return Range{}, rangeError(detailsNegativeLimit)
	}
	r := Range{Offset: lower, Limit: NoLimit}
	if upper != math.MaxInt64 {
		r.Limit = upper - lower + 1
	}
	return r, nil
}

// satAdd adds non-negative a and b, saturating at MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
