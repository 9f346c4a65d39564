package rest

import (
	"strconv"
	"strings"
)

// ParseSelect parses the value of the select= query parameter.
//
// The grammar, after PostgREST (v12–v14):
//
//	list   = [ item { ws "," ws item } ]          (may be empty)
//	item   = "*"
//	       | "..." name hints "(" list ")"        (spread)
//	       | [ name ":" ] "count()" [ "::" ident ]
//	       | [ name ":" ] name hints "(" list ")" (embedding)
//	       | [ name ":" ] name jsonpath [ "::" ident ]
//	         [ "." agg "()" [ "::" ident ] ]      (field)
//	hints  = [ "!" name ] [ "!" name ]            (a hint, "inner" or "left")
//	agg    = "sum" | "avg" | "count" | "max" | "min"
//	name   = '"' chars '"' | ident { "-" ident }
//	ident  = { letter | digit | "_" | "$" | " " }+ (trimmed)
//
// ws is spaces and tabs. A quoted name is never a keyword: `"count"()` embeds
// a relation named count and `rel!"inner"()` uses a hint named inner.
func ParseSelect(s string) (items []SelectItem, err error) {
	defer catch(&err)
	p := newScanner(s, "select parameter", s)
	// Every item but the first follows a ',' or a '(': this bounds the
	// stack, so it is allocated once.
	p.stack = make([]SelectItem, 0, min(1+strings.Count(s, ",")+strings.Count(s, "("), 64))
	return p.selectList(0, false), nil
}

// selectList reads a comma-separated list of select items; nested lists end
// at ')' (left for the caller), the top-level list at the end of input.
func (p *scanner) selectList(depth int, nested bool) []SelectItem {
	if depth > maxDepth {
		p.fail(p.pos-1, false, "at most "+strconv.Itoa(maxDepth)+" levels of embedding")
	}
	p.skipWS()
	if (!nested && p.eof()) || (nested && p.peek() == ')') {
		return []SelectItem{}
	}
	base := len(p.stack)
	done := func() []SelectItem {
		items := make([]SelectItem, len(p.stack)-base)
		copy(items, p.stack[base:])
		clear(p.stack[base:])
		p.stack = p.stack[:base]
		return items
	}
	for {
		item, plain := p.selectItem(depth)
		p.stack = append(p.stack, item)
		p.skipWS()
		switch {
		case p.peek() == ',':
			p.pos++
			p.skipWS()
			continue
		case nested && p.peek() == ')':
			return done()
		case !nested && p.eof():
			return done()
		}
		if plain {
			// A bare name could still have gone on.
			p.fail(p.pos, true, "letter", "digit", `"-"`, `"->>"`, `"->"`, `"::"`, `"."`, expCloseP, expComma, expEnd)
		}
		p.fail(p.pos, true, expCloseP, expComma, expEnd)
	}
}

var aggregates = map[string]AggregateFunc{
	"sum":   AggSum,
	"avg":   AggAvg,
	"count": AggCount,
	"max":   AggMax,
	"min":   AggMin,
}

// selectItem reads one select item. plain reports a field with nothing after
// its name, for the error message of the caller.
func (p *scanner) selectItem(depth int) (item SelectItem, plain bool) {
	if p.hasPrefix("...") {
		p.pos += 3
		name, _ := p.fieldName()
		item = SelectItem{Kind: SelectSpread, Relation: name}
		p.embedTail(&item, depth)
		return item, false
	}
	if p.peek() == '*' {
		p.pos++
		return SelectItem{Kind: SelectStar}, false
	}
	if !p.startsName() {
		p.fail(p.pos, false, `"..."`, expFieldName, `"*"`, `"count()"`)
	}
	name, quoted := p.fieldName()
	var alias string
	if p.peek() == ':' && p.peekAt(1) != ':' {
		p.pos++
		alias = name
		name, quoted = p.fieldName()
	}
	switch {
	case !quoted && name == "count" && p.hasPrefix("()"):
		p.pos += 2
		item = SelectItem{Kind: SelectCount, Alias: alias}
		item.AggregateCast = p.optCast()
		return item, false
	case p.peek() == '!' || p.peek() == '(':
		item = SelectItem{Kind: SelectEmbed, Alias: alias, Relation: name}
		p.embedTail(&item, depth)
		return item, false
	}
	item = SelectItem{Kind: SelectField, Alias: alias, Field: Field{Name: name, JSON: p.jsonPath()}}
	item.Cast = p.optCast()
	if p.peek() == '.' {
		p.pos++
		at := p.pos
		agg := aggregates[p.word()]
		if agg == AggNone || !p.hasPrefix("()") {
			p.fail(at, false, `"sum()"`, `"avg()"`, `"count()"`, `"max()"`, `"min()"`)
		}
		p.pos += 2
		item.Aggregate = agg
		item.AggregateCast = p.optCast()
	}
	plain = item.Field.JSON == nil && item.Cast == "" && item.Aggregate == AggNone
	return item, plain
}

// optCast reads an optional "::type".
func (p *scanner) optCast() string {
	if !p.hasPrefix("::") {
		return ""
	}
	p.pos += 2
	return p.identifier("letter", "digit")
}

// embedTail reads the hints and the parenthesized list of an embedding or
// spread. Like PostgREST, it takes up to two "!" parameters, and the first
// hint and the first join type win.
func (p *scanner) embedTail(item *SelectItem, depth int) {
	hintSet := false
	for range 2 {
		if p.peek() != '!' {
			break
		}
		p.pos++
		name, quoted := p.fieldName()
		switch {
		case !quoted && name == "inner":
			if item.Join == JoinDefault {
				item.Join = JoinInner
			}
		case !quoted && name == "left":
			if item.Join == JoinDefault {
				item.Join = JoinLeft
			}
		case !hintSet:
			item.Hint = name
			hintSet = true
		}
	}
	p.expect('(')
	item.Children = p.selectList(depth+1, true)
	p.expect(')')
}
