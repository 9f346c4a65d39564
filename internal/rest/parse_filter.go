package rest

import (
	"strconv"
	"strings"
)

// Filter grammar, after PostgREST (v12–v14):
//
//	key    = name { "." name } jsonpath        (embedding path, then field)
//	value  = [ "not." ] op
//	op     = "in." list
//	       | "is." ( null | not_null | true | false | unknown )  (any case)
//	       | "isdistinct." val
//	       | fts [ "(" ident ")" ] "." val      (fts, plfts, phfts, wfts)
//	       | simple "." val                     (neq cs cd ov sl sr nxl nxr adj)
//	       | quant [ "(" ( "any" | "all" ) ")" ] "." val
//	                                            (eq gt gte lt lte like ilike match imatch)
//	list   = ws "(" elem { "," elem } ")" ws
//	elem   = '"' chars '"' | { not "," or ")" }
//
// At the top level val is the rest of the value, raw. Inside a logic tree val
// ends at "," or ")": it may be double-quoted (with backslash escapes) to hold
// those characters, and a "{...}" array literal may hold commas.

// valueMode says where an operator expression is parsed.
type valueMode uint8

const (
	valueTop   valueMode = iota // a query parameter: the value runs to the end
	valueLogic                  // inside a logic tree: the value ends at ',' or ')'
)

// operators maps the operator tokens of the query string.
var operators = map[string]Operator{
	"eq": OpEq, "neq": OpNeq, "gt": OpGt, "gte": OpGte, "lt": OpLt, "lte": OpLte,
	"like": OpLike, "ilike": OpILike, "match": OpMatch, "imatch": OpIMatch,
	"in": OpIn, "is": OpIs, "isdistinct": OpIsDistinct,
	"fts": OpFTS, "plfts": OpPLFTS, "phfts": OpPHFTS, "wfts": OpWFTS,
	"cs": OpCs, "cd": OpCd, "ov": OpOv, "sl": OpSl, "sr": OpSr,
	"nxl": OpNxl, "nxr": OpNxr, "adj": OpAdj,
}

var operatorNames = func() [OpAdj + 1]string {
	var names [OpAdj + 1]string
	for name, op := range operators {
		names[op] = name
	}
	return names
}()

// String returns the operator's query-string token.
func (o Operator) String() string {
	if int(o) < len(operatorNames) && operatorNames[o] != "" {
		return operatorNames[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// Quantifiable reports whether the operator takes "(any)" and "(all)".
func (o Operator) Quantifiable() bool {
	switch o {
	case OpEq, OpGt, OpGte, OpLt, OpLte, OpLike, OpILike, OpMatch, OpIMatch:
		return true
	}
	return false
}

// FullText reports whether the operator is a full-text search, which takes
// a "(config)" language.
func (o Operator) FullText() bool {
	return o == OpFTS || o == OpPLFTS || o == OpPHFTS || o == OpWFTS
}

var isValues = map[string]IsValue{
	"null": IsNull, "not_null": IsNotNull, "true": IsTrue, "false": IsFalse, "unknown": IsUnknown,
}

// ParseFilter parses one filter query parameter, "comments.author=eq.x".
func ParseFilter(key, value string) (f Filter, err error) {
	defer catch(&err)
	f.Path, f.Field = parseTreePath(key)
	p := newScanner(value, "filter", value)
	f.Expr = p.opExpr(valueTop)
	return f, nil
}

// parseTreePath parses a filter, order or range key: an embedding path and,
// last, a field with its JSON path.
func parseTreePath(key string) (path []string, f Field) {
	p := newScanner(key, "tree path", key)
	name, _ := p.fieldName()
	for p.peek() == '.' {
		p.pos++
		path = append(path, name)
		name, _ = p.fieldName()
	}
	f = Field{Name: name, JSON: p.jsonPath()}
	if !p.eof() {
		p.fail(p.pos, true, expDelimiter, `"->"`, `"->>"`, expEnd)
	}
	return path, f
}

// opExpr reads an operator expression.
func (p *scanner) opExpr(mode valueMode) OpExpr {
	var e OpExpr
	if p.hasPrefix("not.") {
		e.Negate = true
		p.pos += 4
	}
	at := p.pos
	op := operators[p.word()]
	if op == 0 {
		if e.Negate {
			p.fail(at, false, expOperator)
		}
		p.fail(at, false, `"not"`, expOperator)
	}
	e.Op = op
	switch {
	case op == OpIn:
		p.expect('.')
		e.List = p.listValue()
	case op == OpIs:
		p.expect('.')
		at := p.pos
		v, ok := isValues[strings.ToLower(p.word())]
		if !ok {
			p.fail(at, false, "isVal: (null, not_null, true, false, unknown)")
		}
		e.Is = v
	case op.FullText():
		if p.peek() == '(' {
			p.pos++
			e.Language = p.identifier("letter", "digit")
			p.expect(')')
		}
		p.expect('.')
		e.Value = p.singleValue(mode)
	case op.Quantifiable():
		if p.peek() == '(' {
			p.pos++
			at := p.pos
			switch p.word() {
			case "any":
				e.Quantifier = QuantAny
			case "all":
				e.Quantifier = QuantAll
			default:
				p.fail(at, false, `"any"`, `"all"`)
			}
			p.expect(')')
		}
		p.expect('.')
		e.Value = p.singleValue(mode)
	default:
		p.expect('.')
		e.Value = p.singleValue(mode)
	}
	if mode == valueTop && !p.eof() {
		p.fail(p.pos, true, expEnd)
	}
	return e
}

// singleValue reads the operand of a single-value operator.
func (p *scanner) singleValue(mode valueMode) string {
	if mode == valueTop {
		v := p.src[p.pos:]
		p.pos = len(p.src)
		return v
	}
	if p.peek() == '"' {
		save := p.pos
		if v, ok := p.tryQuotedElem(); ok {
			return v
		}
		p.pos = save
	}
	if p.peek() == '{' {
		if end := strings.IndexAny(p.src[p.pos+1:], "{}"); end >= 0 && p.src[p.pos+1+end] == '}' {
			v := p.src[p.pos : p.pos+end+2]
			p.pos += end + 2
			return v
		}
	}
	return p.rawElem()
}

// tryQuotedElem reads a double-quoted value that is followed by ',', ')' or
// the end; otherwise it reports false and the caller reads the value raw,
// quotes included.
func (p *scanner) tryQuotedElem() (string, bool) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case '"':
			p.pos++
			if p.eof() || p.peek() == ',' || p.peek() == ')' {
				if !strings.Contains(p.src[start:p.pos], `\`) {
					return p.src[start+1 : p.pos-1], true
				}
				return b.String(), true
			}
			return "", false
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", false
			}
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", false
}

// rawElem reads up to the next ',' or ')'.
func (p *scanner) rawElem() string {
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != ',' && p.src[p.pos] != ')' {
		p.pos++
	}
	return p.src[start:p.pos]
}

// listValue reads the "(a,"b,c",d)" operand of in. A lone empty unquoted
// element, "()", is the empty list.
func (p *scanner) listValue() []string {
	p.skipWS()
	p.expect('(')
	p.skipWS()
	var list []string
	quotedAny := false
	for {
		var v string
		quoted := false
		if p.peek() == '"' {
			save := p.pos
			v, quoted = p.tryQuotedElem()
			if !quoted {
				p.pos = save
			}
		}
		if !quoted {
			v = p.rawElem()
		}
		quotedAny = quotedAny || quoted
		list = append(list, v)
		if p.peek() == ',' {
			p.pos++
			continue
		}
		break
	}
	p.expect(')')
	p.skipWS()
	if len(list) == 1 && list[0] == "" && !quotedAny {
		return []string{}
	}
	return list
}
