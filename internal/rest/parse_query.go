package rest

import (
	"math"
	"strings"
)

// QueryOptions says how to read a query string.
type QueryOptions struct {
	// RoutineRead is set for GET and HEAD on /rpc/{fn}: every key that is not
	// reserved then becomes an [Arg] rather than a filter.
	RoutineRead bool
}

// queryParam is one decoded key=value pair of a query string. A key without
// '=' has no value; PostgREST ignores such keys, except that a bare "select"
// still counts as the first select.
type queryParam struct {
	key, value string
	hasValue   bool
}

// decodeQuery splits a raw query string as PostgREST (http-types) does: pairs
// are separated by '&' or ';', '+' is a space, and a '%' not followed by two
// hex digits is kept as is.
func decodeQuery(raw string) []queryParam {
	raw = strings.TrimPrefix(raw, "?")
	if raw == "" {
		return nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var pair string
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		if pair == "" {
			continue
		}
		k, v, hasValue := strings.Cut(pair, "=")
		params = append(params, queryParam{key: urlDecode(k), value: urlDecode(v), hasValue: hasValue})
	}
	return params
}

func urlDecode(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// lastWord is the part of a key after its last '.': what PostgREST looks at
// to recognize order, limit, offset, and and or at any embedding level.
func lastWord(key string) string {
	return key[strings.LastIndexByte(key, '.')+1:]
}

// ParseQuery parses a raw query string (with or without its leading '?').
//
// Keys are classified as PostgREST does: select, columns and on_conflict are
// reserved at the root only (the first occurrence counts); a key whose last
// dot-separated word is order, limit, offset, and or or is that parameter at
// the embedding path before it; any other key with a value is a filter, or on
// a routine read an argument. Errors are reported in PostgREST's order: order,
// logic trees, columns, select, filters, on_conflict, then ranges.
func ParseQuery(rawQuery string, opts QueryOptions) (*Query, error) {
	params := decodeQuery(rawQuery)

	var (
		sel, columns, onConflict          string
		selSet, colSet, conflictSet       bool
		selSeen, colSeen, conflictSeen    bool
		orders, logics, filters, rangeKVs []queryParam
	)
	for _, kv := range params {
		switch kv.key {
		case "select":
			if !selSeen {
				selSeen, selSet, sel = true, kv.hasValue, kv.value
			}
			continue
		case "columns":
			if !colSeen {
				colSeen, colSet, columns = true, kv.hasValue, kv.value
			}
			continue
		case "on_conflict":
			if !conflictSeen {
				conflictSeen, conflictSet, onConflict = true, kv.hasValue, kv.value
			}
			continue
		}
		if !kv.hasValue {
			continue
		}
		switch lastWord(kv.key) {
		case "order":
			orders = append(orders, kv)
		case "limit", "offset":
			rangeKVs = append(rangeKVs, kv)
		case "and", "or":
			logics = append(logics, kv)
		default:
			filters = append(filters, kv)
		}
	}

	q := &Query{Range: AllRows}
	for _, kv := range orders {
		o, err := ParseOrder(kv.key, kv.value)
		if err != nil {
			return nil, err
		}
		q.Order = append(q.Order, o)
	}
	for _, kv := range logics {
		l, err := ParseLogic(kv.key, kv.value)
		if err != nil {
			return nil, err
		}
		q.Logic = append(q.Logic, l)
	}
	if colSet {
		cols, err := parseColumns(columns, "columns parameter")
		if err != nil {
			return nil, err
		}
		q.Columns = cols
	}
	if selSet {
		items, err := ParseSelect(sel)
		if err != nil {
			return nil, err
		}
		q.Select = items
	} else {
		q.Select = []SelectItem{{Kind: SelectStar}}
	}
	for _, kv := range filters {
		if opts.RoutineRead {
			a := Arg{Name: kv.key, Value: kv.value}
			if f, err := ParseFilter(kv.key, kv.value); err == nil {
				a.Filter = &f
			}
			q.Args = append(q.Args, a)
			continue
		}
		f, err := ParseFilter(kv.key, kv.value)
		if err != nil {
			return nil, err
		}
		q.Filters = append(q.Filters, f)
	}
	if conflictSet {
		cols, err := parseColumns(onConflict, "on_conflict parameter")
		if err != nil {
			return nil, err
		}
		q.OnConflict = cols
	}
	if err := q.parseRanges(rangeKVs); err != nil {
		return nil, err
	}
	return q, nil
}

// parseColumns parses columns= and on_conflict=: names separated by commas.
func parseColumns(s, what string) (cols []string, err error) {
	defer catch(&err)
	p := newScanner(s, what, s)
	for {
		p.skipWS()
		name, _ := p.fieldName()
		cols = append(cols, name)
		p.skipWS()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if !p.eof() {
			p.fail(p.pos, true, expComma, expEnd)
		}
		return cols, nil
	}
}

// parseRanges reads the limit and offset parameters. Like PostgREST, a value
// that is not an integer is ignored, and for each path the last limit and the
// last offset win.
func (q *Query) parseRanges(kvs []queryParam) (err error) {
	defer catch(&err)
	type bounds struct {
		path              []string
		limit, offset     int64
		hasLimit, hasOffs bool
	}
	var all []*bounds
	find := func(path []string) *bounds {
		for _, b := range all {
			if equalPath(b.path, path) {
				return b
			}
		}
		b := &bounds{path: path}
		all = append(all, b)
		return b
	}
	for _, kv := range kvs {
		n, ok := parseInteger(kv.value)
		if !ok {
			continue
		}
		path, word := parseTreePathPrefix(kv.key)
		b := find(path)
		if word == "limit" {
			b.limit, b.hasLimit = n, true
		} else {
			b.offset, b.hasOffs = n, true
		}
	}
	for _, b := range all {
		r := AllRows
		if b.hasOffs {
			if b.offset < 0 {
				return negativeOffsetError()
			}
			r.Offset = b.offset
		}
		if b.hasLimit {
			if b.limit < 0 {
				if b.path == nil {
					return rangeError(detailsNegativeLimit)
				}
				return negativeLimitError()
			}
			r.Limit = b.limit
		}
		if b.path == nil {
			q.Range = r
			continue
		}
		q.EmbedRanges = append(q.EmbedRanges, EmbedRange{Path: b.path, Range: r})
	}
	return nil
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseInteger reads a decimal integer with an optional '-', surrounded by
// optional whitespace, as Haskell's readMaybe does for PostgREST. Values out of
// the int64 range are clamped.
func parseInteger(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if !isDigits(s) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			if neg {
				return math.MinInt64, true
			}
			return math.MaxInt64, true
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}
