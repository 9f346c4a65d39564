package rest

// Order grammar, after PostgREST (v12–v14):
//
//	order = term { "," term }
//	term  = ws ( name "(" field ")" | field ) [ "." dir ] [ "." nulls ] ws
//	dir   = "asc" | "desc"
//	nulls = "nullsfirst" | "nullslast"
//
// where field is a name and JSON path. The "rel(field)" form orders by a
// column of a to-one embedded resource.

// ParseOrder parses one order query parameter: "order=a.desc,b",
// "comments.order=id.desc".
func ParseOrder(key, value string) (o Order, err error) {
	defer catch(&err)
	o.Path, _ = parseTreePathPrefix(key)
	p := newScanner(value, "order", value)
	for {
		o.Terms = append(o.Terms, p.orderTerm())
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if !p.eof() {
			p.fail(p.pos, true, expComma, expEnd)
		}
		return o, nil
	}
}

// parseTreePathPrefix parses the key of an order or range parameter and
// returns its embedding path; the last name is the reserved word.
func parseTreePathPrefix(key string) (path []string, last string) {
	path, f := parseTreePath(key)
	return path, f.Name
}

func (p *scanner) orderTerm() OrderTerm {
	var t OrderTerm
	p.skipWS()
	name, _ := p.fieldName()
	if p.peek() == '(' {
		p.pos++
		p.skipWS()
		t.Relation = name
		t.Field = p.field()
		p.skipWS()
		p.expect(')')
	} else {
		t.Field = Field{Name: name, JSON: p.jsonPath()}
	}
	p.skipWS()
	afterDir := false
	if p.peek() == '.' {
		p.pos++
		switch {
		case p.hasPrefix("asc"):
			p.pos += 3
			t.Dir = OrderAsc
			afterDir = true
		case p.hasPrefix("desc"):
			p.pos += 4
			t.Dir = OrderDesc
			afterDir = true
		case p.hasPrefix("nullsfirst"):
			p.pos += 10
			t.Nulls = NullsFirst
		case p.hasPrefix("nullslast"):
			p.pos += 9
			t.Nulls = NullsLast
		default:
			p.fail(p.pos, false, `"asc"`, `"desc"`, `"nullsfirst"`, `"nullslast"`)
		}
	}
	if afterDir && p.peek() == '.' {
		p.pos++
		switch {
		case p.hasPrefix("nullsfirst"):
			p.pos += 10
			t.Nulls = NullsFirst
		case p.hasPrefix("nullslast"):
			p.pos += 9
			t.Nulls = NullsLast
		default:
			p.fail(p.pos, false, `"nullsfirst"`, `"nullslast"`)
		}
	}
	p.skipWS()
	if p.peek() != ',' && !p.eof() {
		if t.Nulls == NullsDefault {
			p.fail(p.pos, true, expDelimiter, expComma, expEnd)
		}
		p.fail(p.pos, true, expComma, expEnd)
	}
	return t
}
