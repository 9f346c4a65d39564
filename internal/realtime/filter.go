package realtime

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// filter is a postgres_changes filter as realtime-js sends it and Supabase
// Realtime reads it: conditions "column=operator.value" joined by commas
// (all must hold), an operator negated by a "not." prefix. The operators
// are eq, neq, lt, lte, gt, gte, in, like, ilike, is, match, imatch and
// isdistinct.
type filter struct {
	conds []cond
}

// values are the filter's values, for the sentinel.
func (f *filter) values() []any {
	if f == nil {
		return nil
	}
	var out []any
	for _, c := range f.conds {
		if c.value != "" {
			out = append(out, c.value)
		}
		if len(c.set) > 0 {
			out = append(out, c.set)
		}
	}
	return out
}

type cond struct {
	column string
	op     string
	value  string
	set    []string       // in
	re     *regexp.Regexp // like, ilike, match, imatch
	negate bool
}

// maxInValues bounds an in list, as Supabase Realtime does.
const maxInValues = 100

// parseFilter parses a filter; an empty (or blank) string is no filter.
func parseFilter(s string) (*filter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f := &filter{}
	for _, seg := range splitConditions(s) {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			return nil, fmt.Errorf("%w: filter must not contain empty segments (check for extra commas)", ErrBadFilter)
		}
		c, err := parseCond(seg)
		if err != nil {
			return nil, err
		}
		f.conds = append(f.conds, c)
	}
	return f, nil
}

func parseCond(s string) (cond, error) {
	col, rest, ok := strings.Cut(s, "=")
	if !ok || col == "" {
		return cond{}, fmt.Errorf("%w: %q is not column=operator.value", ErrBadFilter, s)
	}
	c := cond{column: col}
	rest, c.negate = strings.CutPrefix(rest, "not.")
	op, val, ok := strings.Cut(rest, ".")
	if !ok {
		return cond{}, fmt.Errorf("%w: %q has no operator", ErrBadFilter, s)
	}
	c.op = op
	switch op {
	case "in":
		inner, ok := strings.CutPrefix(val, "(")
		if ok {
			inner, ok = strings.CutSuffix(inner, ")")
		}
		if !ok {
			return cond{}, fmt.Errorf("%w: `in` filter value must be wrapped by parentheses", ErrBadFilter)
		}
		c.set = splitList(inner)
		if len(c.set) > maxInValues {
			return cond{}, fmt.Errorf("%w: too many values for `in` filter. Maximum %d", ErrBadFilter, maxInValues)
		}
		return c, nil
	case "eq", "neq", "lt", "lte", "gt", "gte", "isdistinct":
	case "is":
		switch unquote(val) {
		case "null", "true", "false", "unknown":
		default:
			return cond{}, fmt.Errorf("%w: invalid value for is filter: must be null, true, false, or unknown", ErrBadFilter)
		}
	case "like", "ilike":
		re, err := likePattern(unquote(val), op == "ilike")
		if err != nil {
			return cond{}, fmt.Errorf("%w: invalid pattern for %s filter: %w", ErrBadFilter, op, err)
		}
		c.re = re
	case "match", "imatch":
		expr := unquote(val)
		if op == "imatch" {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return cond{}, fmt.Errorf("%w: invalid regular expression for %s filter: %w", ErrBadFilter, op, err)
		}
		c.re = re
	default:
		return cond{}, fmt.Errorf("%w: unknown operator %q", ErrBadFilter, op)
	}
	c.value = unquote(val)
	return c, nil
}

// splitConditions splits on the commas outside parentheses and quoted
// values; a value is quoted when a double quote follows '.', '(' or ','.
func splitConditions(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case quoted && c == '"':
			quoted = false
		case quoted:
		case c == '"' && i > 0 && strings.IndexByte(".(,", s[i-1]) >= 0:
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth = max(0, depth-1)
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote takes the quotes (and backslash escapes) off a quoted value;
// anything else is returned as is.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v)-1:
			i++
			b.WriteByte(v[i])
		case v[i] == '"':
			return v // a quote inside: not one quoted value
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// likePattern compiles a SQL LIKE pattern: % any run, _ any one character,
// backslash escapes the next. It reads the pattern by characters (a byte
// that is not UTF-8 stands for U+FFFD, as a regular expression must).
func likePattern(p string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)")
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
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

// columns lists the columns the filter reads.
func (f *filter) columns() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, c := range f.conds {
		if !slices.Contains(out, c.column) {
			out = append(out, c.column)
		}
	}
	return out
}

// match reports whether a row (text values) passes every condition.
func (f *filter) match(vals []Value) bool {
	if f == nil {
		return true
	}
	for i := range f.conds {
		if !f.conds[i].match(vals) {
			return false
		}
	}
	return true
}

// match evaluates one condition as SQL would, in two-valued logic: a
// comparison with a null (or absent) column is unknown, which no condition
// passes, negated or not; is and isdistinct speak of nulls themselves.
func (c *cond) match(vals []Value) bool {
	v, ok := lookup(vals, c.column)
	var res bool
	switch c.op {
	case "is":
		switch c.value {
		case "null":
			res = !ok
		case "unknown":
			res = !ok
		case "true", "false":
			res = ok && compare(v, c.value) == 0
		}
		return res != c.negate
	case "isdistinct":
		res = !ok || compare(v, c.value) != 0
		return res != c.negate
	}
	if !ok {
		return false
	}
	switch c.op {
	case "eq":
		res = compare(v, c.value) == 0
	case "neq":
		res = compare(v, c.value) != 0
	case "lt":
		res = compare(v, c.value) < 0
	case "lte":
		res = compare(v, c.value) <= 0
	case "gt":
		res = compare(v, c.value) > 0
	case "gte":
		res = compare(v, c.value) >= 0
	case "in":
		for _, s := range c.set {
			if compare(v, s) == 0 {
				res = true
				break
			}
		}
	case "like", "ilike", "match", "imatch":
		res = c.re.MatchString(v)
	}
	return res != c.negate
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
