package rest

import "strconv"

// Logic tree grammar, after PostgREST (v12–v14). The key gives the embedding
// path and the root operator; the value is the root's parenthesized list:
//
//	key   = { name "." } [ "not." ] ( "and" | "or" )
//	tree  = [ "not." ] ( "and" | "or" ) ws "(" ws node { ws "," ws node } ws ")"
//	node  = tree | ws field ws "." value
//
// where value is an operator expression whose operand ends at ',' or ')'
// (see parse_filter.go). An unquoted "not" anywhere in the key's path is the
// negation, as in PostgREST: "clients.not.or" is not.or on clients.

// ParseLogic parses one logic query parameter: "or=(a.eq.1,b.gt.2)",
// "comments.not.and=(...)".
func ParseLogic(key, value string) (l Logic, err error) {
	defer catch(&err)
	path, root := parseLogicPath(key)
	// PostgREST parses the root operator and the value as one string, so
	// error columns count from the start of "or(...)".
	src := root + value
	p := newScanner(src, "logic tree", value)
	l.Path = path
	l.LogicExpr = p.logicExpr(0)
	p.skipWS()
	if !p.eof() {
		p.fail(p.pos, true, expEnd)
	}
	return l, nil
}

// parseLogicPath splits a logic key into its embedding path and its root
// operator, "and", "or", "not.and" or "not.or".
func parseLogicPath(key string) (path []string, root string) {
	p := newScanner(key, "logic path", key)
	var names []string
	negate := false
	for {
		name, quoted := p.fieldName()
		if !quoted && name == "not" {
			negate = true
		} else {
			names = append(names, name)
		}
		if p.peek() != '.' {
			break
		}
		p.pos++
	}
	if !p.eof() {
		p.fail(p.pos, true, expDelimiter, expEnd)
	}
	if len(names) == 0 {
		p.fail(p.pos, false, "logic operator (and, or)")
	}
	root = names[len(names)-1]
	if root != "and" && root != "or" {
		p.fail(len(p.src)-len(root), false, "logic operator (and, or)")
	}
	if len(names) > 1 {
		path = names[:len(names)-1]
	}
	if negate {
		root = "not." + root
	}
	return path, root
}

// logicExpr reads a group: [not.]and(...) or [not.]or(...).
func (p *scanner) logicExpr(depth int) LogicExpr {
	if depth > maxDepth {
		p.fail(p.pos, false, "at most "+strconv.Itoa(maxDepth)+" levels of logic")
	}
	var e LogicExpr
	if p.hasPrefix("not.") {
		e.Negate = true
		p.pos += 4
	}
	switch {
	case p.hasPrefix("and"):
		e.Op = LogicAnd
		p.pos += 3
	case p.hasPrefix("or"):
		e.Op = LogicOr
		p.pos += 2
	default:
		p.fail(p.pos, false, "logic operator (and, or)")
	}
	p.skipWS()
	p.expect('(')
	for {
		p.skipWS()
		e.Children = append(e.Children, p.logicNode(depth))
		p.skipWS()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case ')':
			p.pos++
			return e
		}
		p.fail(p.pos, false, expCloseP, expComma)
	}
}

// logicNode reads a child: a nested group or a condition.
func (p *scanner) logicNode(depth int) LogicNode {
	if p.atLogicGroup() {
		e := p.logicExpr(depth + 1)
		return LogicNode{Expr: &e}
	}
	if !p.startsName() {
		p.fail(p.pos, false, expFieldName, "negation operator (not)", "logic operator (and, or)")
	}
	f := p.field()
	p.skipWS()
	p.expect('.')
	c := Condition{Field: f, Expr: p.opExpr(valueLogic)}
	return LogicNode{Cond: &c}
}

// atLogicGroup reports whether a group, rather than a condition, starts at
// the cursor: [not.](and|or) ws "(". A column named "and" or "or" is still
// usable in a condition, "or.eq.1", as it is followed by '.'.
func (p *scanner) atLogicGroup() bool {
	i := p.pos
	if p.hasPrefix("not.") {
		i += 4
	}
	rest := p.src[i:]
	switch {
	case len(rest) >= 3 && rest[:3] == "and":
		i += 3
	case len(rest) >= 2 && rest[:2] == "or":
		i += 2
	default:
		return false
	}
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	return i < len(p.src) && p.src[i] == '('
}
