package realtime

import (
	"fmt"
	"strconv"
	"strings"
)

// filter is a postgres_changes filter, "column=op.value" as realtime-js
// sends it, with the operators Supabase Realtime supports.
type filter struct {
	column string
	op     string // eq, neq, lt, lte, gt, gte, in
	value  string
	set    []string // for in
}

// parseFilter parses "col=eq.value" and "col=in.(a,b,"c d")". An empty
// string is no filter.
func parseFilter(s string) (*filter, error) {
	if s == "" {
		return nil, nil
	}
	col, rest, ok := strings.Cut(s, "=")
	if !ok || col == "" {
		return nil, fmt.Errorf("%w: %q is not column=operator.value", ErrBadFilter, s)
	}
	op, val, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, fmt.Errorf("%w: %q has no operator", ErrBadFilter, s)
	}
	f := &filter{column: col, op: op, value: val}
	switch op {
	case "eq", "neq", "lt", "lte", "gt", "gte":
	case "in":
		inner, ok := strings.CutPrefix(val, "(")
		if ok {
			inner, ok = strings.CutSuffix(inner, ")")
		}
		if !ok {
			return nil, fmt.Errorf("%w: in needs a list in parentheses: %q", ErrBadFilter, s)
		}
		f.set = splitList(inner)
		if len(f.set) > 100 {
			return nil, fmt.Errorf("%w: in accepts at most 100 values", ErrBadFilter)
		}
	default:
		return nil, fmt.Errorf("%w: unknown operator %q", ErrBadFilter, op)
	}
	return f, nil
}

// splitList splits a, "b,c", d on commas outside double quotes.
func splitList(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if s != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// match reports whether a row (text values) passes the filter. A missing or
// null column never matches, as in SQL.
func (f *filter) match(vals []Value) bool {
	if f == nil {
		return true
	}
	v, ok := lookup(vals, f.column)
	if !ok {
		return false
	}
	switch f.op {
	case "eq":
		return compare(v, f.value) == 0
	case "neq":
		return compare(v, f.value) != 0
	case "lt":
		return compare(v, f.value) < 0
	case "lte":
		return compare(v, f.value) <= 0
	case "gt":
		return compare(v, f.value) > 0
	case "gte":
		return compare(v, f.value) >= 0
	case "in":
		for _, s := range f.set {
			if compare(v, s) == 0 {
				return true
			}
		}
	}
	return false
}

// compare compares numerically when both sides are numbers, else as text
// (which orders ISO dates and timestamps correctly).
func compare(a, b string) int {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	if a == "t" || a == "f" { // booleans in text form against true/false
		switch b {
		case "true":
			b = "t"
		case "false":
			b = "f"
		}
	}
	return strings.Compare(a, b)
}
