package rest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file renders the AST back to PostgREST syntax. The output is a stable
// representation: parsing it gives back an equal AST (the fuzz targets check
// this), so it serves for logs and cache keys. Names are quoted whenever the
// plain form could read differently.

// reservedNames are words that, written unquoted where a name is expected,
// could be read as syntax by some parameter.
var reservedNames = map[string]bool{
	"select": true, "columns": true, "on_conflict": true, "order": true,
	"limit": true, "offset": true, "and": true, "or": true, "not": true,
	"count": true, "left": true, "inner": true,
}

// writeName writes a field, relation, alias or hint name.
func writeName(b *strings.Builder, name string) {
	if plainName(name) {
		b.WriteString(name)
		return
	}
	writeQuoted(b, name)
}

func plainName(name string) bool {
	if name == "" || reservedNames[name] {
		return false
	}
	for _, r := range name {
		if r == ' ' || r == '-' || !isIdentRune(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

func writeField(b *strings.Builder, f Field) {
	writeName(b, f.Name)
	for _, op := range f.JSON {
		if op.Arrow == ArrowText {
			b.WriteString("->>")
		} else {
			b.WriteString("->")
		}
		switch {
		case op.Index:
			b.WriteString(op.Operand)
		case plainJSONKey(op.Operand):
			b.WriteString(op.Operand)
		default:
			writeQuoted(b, op.Operand)
		}
	}
}

func plainJSONKey(k string) bool {
	if k == "" || isDigits(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// FormatSelect renders a select list.
func FormatSelect(items []SelectItem) string {
	var b strings.Builder
	writeSelect(&b, items)
	return b.String()
}

func writeSelect(b *strings.Builder, items []SelectItem) {
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		if it.Alias != "" && it.Kind != SelectStar && it.Kind != SelectSpread {
			writeName(b, it.Alias)
			b.WriteByte(':')
		}
		switch it.Kind {
		case SelectStar:
			b.WriteByte('*')
		case SelectCount:
			b.WriteString("count()")
			writeCast(b, it.AggregateCast)
		case SelectField:
			writeField(b, it.Field)
			writeCast(b, it.Cast)
			if it.Aggregate != AggNone {
				b.WriteByte('.')
				b.WriteString(aggregateNames[it.Aggregate])
				b.WriteString("()")
				writeCast(b, it.AggregateCast)
			}
		case SelectEmbed, SelectSpread:
			if it.Kind == SelectSpread {
				b.WriteString("...")
			}
			writeName(b, it.Relation)
			if it.Hint != "" {
				b.WriteByte('!')
				writeName(b, it.Hint)
			}
			switch it.Join {
			case JoinInner:
				b.WriteString("!inner")
			case JoinLeft:
				b.WriteString("!left")
			}
			b.WriteByte('(')
			writeSelect(b, it.Children)
			b.WriteByte(')')
		}
	}
}

var aggregateNames = map[AggregateFunc]string{
	AggSum: "sum", AggAvg: "avg", AggCount: "count", AggMax: "max", AggMin: "min",
}

func writeCast(b *strings.Builder, cast string) {
	if cast != "" {
		b.WriteString("::")
		b.WriteString(cast)
	}
}

// String renders the aggregate's name, "sum" for AggSum.
func (a AggregateFunc) String() string {
	if s, ok := aggregateNames[a]; ok {
		return s
	}
	return ""
}

// Key renders the filter's query key: "comments.author->>name".
func (f Filter) Key() string {
	var b strings.Builder
	writePath(&b, f.Path)
	writeField(&b, f.Field)
	return b.String()
}

func writePath(b *strings.Builder, path []string) {
	for _, p := range path {
		writeName(b, p)
		b.WriteByte('.')
	}
}

// String renders the operator expression as a query value: "not.in.(1,2)".
func (e OpExpr) String() string {
	var b strings.Builder
	writeOpExpr(&b, e, valueTop)
	return b.String()
}

func writeOpExpr(b *strings.Builder, e OpExpr, mode valueMode) {
	if e.Negate {
		b.WriteString("not.")
	}
	b.WriteString(e.Op.String())
	switch {
	case e.Op == OpIn:
		b.WriteString(".(")
		for i, v := range e.List {
			if i > 0 {
				b.WriteByte(',')
			}
			writeLogicValue(b, v)
		}
		b.WriteByte(')')
		return
	case e.Op == OpIs:
		b.WriteByte('.')
		b.WriteString(isValueNames[e.Is])
		return
	case e.Language != "":
		b.WriteByte('(')
		b.WriteString(e.Language)
		b.WriteByte(')')
	case e.Quantifier == QuantAny:
		b.WriteString("(any)")
	case e.Quantifier == QuantAll:
		b.WriteString("(all)")
	}
	b.WriteByte('.')
	if mode == valueTop {
		b.WriteString(e.Value)
		return
	}
	writeLogicValue(b, e.Value)
}

var isValueNames = map[IsValue]string{
	IsNull: "null", IsNotNull: "not_null", IsTrue: "true", IsFalse: "false", IsUnknown: "unknown",
}

// writeLogicValue writes a value that ends at ',' or ')': quoted unless it
// is plainly safe.
func writeLogicValue(b *strings.Builder, v string) {
	if plainJSONKey(v) || isDigits(v) {
		b.WriteString(v)
		return
	}
	writeQuoted(b, v)
}

// Key renders the logic parameter's key: "comments.not.or".
func (l Logic) Key() string {
	var b strings.Builder
	writePath(&b, l.Path)
	if l.Negate {
		b.WriteString("not.")
	}
	b.WriteString(l.Op.String())
	return b.String()
}

// Value renders the logic parameter's value: "(a.eq.1,and(b.gt.2))".
func (l Logic) Value() string {
	var b strings.Builder
	writeLogicChildren(&b, l.Children)
	return b.String()
}

// String renders the operator: "and" or "or".
func (o LogicOp) String() string {
	if o == LogicOr {
		return "or"
	}
	return "and"
}

// String renders the group: "not.or(a.eq.1,b.eq.2)".
func (e LogicExpr) String() string {
	var b strings.Builder
	writeLogicExpr(&b, e)
	return b.String()
}

func writeLogicExpr(b *strings.Builder, e LogicExpr) {
	if e.Negate {
		b.WriteString("not.")
	}
	b.WriteString(e.Op.String())
	writeLogicChildren(b, e.Children)
}

func writeLogicChildren(b *strings.Builder, children []LogicNode) {
	b.WriteByte('(')
	for i, c := range children {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case c.Expr != nil:
			writeLogicExpr(b, *c.Expr)
		case c.Cond != nil:
			writeField(b, c.Cond.Field)
			b.WriteByte('.')
			writeOpExpr(b, c.Cond.Expr, valueLogic)
		}
	}
	b.WriteByte(')')
}

// Key renders the order parameter's key: "comments.order".
func (o Order) Key() string {
	var b strings.Builder
	writePath(&b, o.Path)
	b.WriteString("order")
	return b.String()
}

// Value renders the order parameter's value: "a.desc.nullslast,rel(b)".
func (o Order) Value() string {
	var b strings.Builder
	for i, t := range o.Terms {
		if i > 0 {
			b.WriteByte(',')
		}
		if t.Relation != "" {
			writeName(&b, t.Relation)
			b.WriteByte('(')
			writeField(&b, t.Field)
			b.WriteByte(')')
		} else {
			writeField(&b, t.Field)
		}
		switch t.Dir {
		case OrderAsc:
			b.WriteString(".asc")
		case OrderDesc:
			b.WriteString(".desc")
		}
		switch t.Nulls {
		case NullsFirst:
			b.WriteString(".nullsfirst")
		case NullsLast:
			b.WriteString(".nullslast")
		}
	}
	return b.String()
}

func formatNames(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		writeName(&b, n)
	}
	return b.String()
}

// Encode renders the query as a URL-encoded query string that parses back to
// an equal Query (with the same [QueryOptions]).
func (q *Query) Encode() string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		writeQueryEscaped(&b, k, true)
		b.WriteByte('=')
		writeQueryEscaped(&b, v, false)
	}
	add("select", FormatSelect(q.Select))
	for _, f := range q.Filters {
		add(f.Key(), f.Expr.String())
	}
	for _, a := range q.Args {
		add(a.Name, a.Value)
	}
	for _, l := range q.Logic {
		add(l.Key(), l.Value())
	}
	for _, o := range q.Order {
		add(o.Key(), o.Value())
	}
	addRange := func(path []string, r Range) {
		var pb strings.Builder
		writePath(&pb, path)
		prefix := pb.String()
		if r.Limit != NoLimit {
			add(prefix+"limit", strconv.FormatInt(r.Limit, 10))
		}
		if r.Offset != 0 || r.Limit == NoLimit {
			add(prefix+"offset", strconv.FormatInt(r.Offset, 10))
		}
	}
	if q.Range != AllRows {
		addRange(nil, q.Range)
	}
	for _, er := range q.EmbedRanges {
		addRange(er.Path, er.Range)
	}
	if q.Columns != nil {
		add("columns", formatNames(q.Columns))
	}
	if q.OnConflict != nil {
		add("on_conflict", formatNames(q.OnConflict))
	}
	return b.String()
}

// writeQueryEscaped percent-encodes what a query string cannot hold as is:
// the separators '&' and ';', '%', '+' (a space), '#', '=' in a key, spaces,
// control characters and non-ASCII bytes. The PostgREST punctuation
// (,.:()!*{}"->) stays readable.
func writeQueryEscaped(b *strings.Builder, s string, key bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&' || c == ';' || c == '%' || c == '+' || c == '#' || (key && c == '='),
			c <= ' ' || c >= 0x7f:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
}
