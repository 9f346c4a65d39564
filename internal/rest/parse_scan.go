package rest

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds the nesting of select embeddings and logic trees so that a
// hostile query string cannot grow the stack without limit. No real query
// comes close.
const maxDepth = 256

// scanner is the state of one recursive-descent parse of one parameter.
// Parse functions report errors by calling fail, which panics with a
// *parseFailure; the exported entry points recover it with catch. This keeps
// the grammar code free of error plumbing; no panic crosses the package API.
type scanner struct {
	src string
	pos int
	// what and arg name the parameter in error messages, as PostgREST
	// does: `failed to parse select parameter (id,name)` has what "select
	// parameter" and arg "id,name". The text is built only on error.
	what, arg string
	// stack holds the items of the select lists being parsed, so that each
	// list is allocated once, at its final size.
	stack []SelectItem
}

type parseFailure struct{ err *Error }

// catch turns a parse failure raised by scanner.fail into *errp. Any other
// panic is a bug and propagates.
func catch(errp *error) {
	if r := recover(); r != nil {
		f, ok := r.(parseFailure)
		if !ok {
			panic(r)
		}
		*errp = f.err
	}
}

func newScanner(src, what, arg string) *scanner {
	return &scanner{src: src, what: what, arg: arg}
}

func (p *scanner) eof() bool { return p.pos >= len(p.src) }

// peek returns the byte at the cursor, or 0 at the end.
func (p *scanner) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *scanner) peekAt(off int) byte {
	if i := p.pos + off; i < len(p.src) {
		return p.src[i]
	}
	return 0
}

func (p *scanner) hasPrefix(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

// skipWS skips PostgREST's lexeme whitespace: spaces and tabs.
func (p *scanner) skipWS() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// expect consumes c or fails.
func (p *scanner) expect(c byte) {
	if p.peek() != c || p.eof() {
		p.fail(p.pos, false, strconv.Quote(string(c)))
	}
	p.pos++
}

// fail raises a PGRST100 error at byte offset pos. quoteSingle selects how
// the unexpected character is shown: Parsec shows a character that a token
// parser rejected in double quotes and one that an end-of-input check
// rejected in single quotes.
func (p *scanner) fail(pos int, quoteSingle bool, expecting ...string) {
	panic(parseFailure{p.errorAt(pos, quoteSingle, expecting...)})
}

func (p *scanner) errorAt(pos int, quoteSingle bool, expecting ...string) *Error {
	pos = min(max(pos, 0), len(p.src))
	line, col := 1, 1
	for _, r := range p.src[:pos] {
		switch r {
		case '\n':
			line++
			col = 1
		case '\t':
			col += 8 - (col-1)%8
		default:
			col++
		}
	}
	var d strings.Builder
	d.WriteString("unexpected ")
	if pos >= len(p.src) {
		d.WriteString("end of input")
	} else {
		r, size := utf8.DecodeRuneInString(p.src[pos:])
		s := string(r)
		if r == utf8.RuneError && size == 1 {
			s = p.src[pos : pos+1]
		}
		if quoteSingle {
			d.WriteString(strconv.QuoteRune(r))
		} else {
			d.WriteString(strconv.Quote(s))
		}
	}
	if len(expecting) > 0 {
		d.WriteString(" expecting ")
		for i, e := range expecting {
			switch {
			case i == 0:
			case i == len(expecting)-1:
				d.WriteString(" or ")
			default:
				d.WriteString(", ")
			}
			d.WriteString(e)
		}
	}
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    CodeQueryParam,
		Message: strconv.Quote("failed to parse "+p.what+" ("+p.arg+")") + " (line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ")",
		Details: d.String(),
	}
}

// Expectation texts, as PostgREST words them.
const (
	expFieldName = "field name (* or [a..z0..9_$])"
	expEnd       = "end of input"
	expComma     = `","`
	expCloseP    = `")"`
	expOpenP     = `"("`
	expDelimiter = "delimiter (.)"
	expOperator  = "operator (eq, gt, ...)"
	expDigit     = "digit"
	expJSONKey   = "any non reserved character different from: .,>()"
)

// startsName reports whether a field name can start at the cursor.
func (p *scanner) startsName() bool {
	if p.eof() {
		return false
	}
	if p.src[p.pos] == '"' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return isIdentRune(r)
}

func isIdentRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == ' ' || r == '$'
	}
	return unicode.IsLetter(r)
}

// identifier reads PostgREST's identifier: one or more letters, ASCII digits,
// '_', '$' or spaces, trimmed. It fails, expecting what, when there is none.
func (p *scanner) identifier(what ...string) string {
	start := p.pos
	for p.pos < len(p.src) {
		if c := p.src[p.pos]; c < utf8.RuneSelf {
			if !isIdentRune(rune(c)) {
				break
			}
			p.pos++
			continue
		}
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if !isIdentRune(r) || (r == utf8.RuneError && size == 1) {
			break
		}
		p.pos += size
	}
	if p.pos == start {
		p.fail(p.pos, false, what...)
	}
	return strings.Trim(p.src[start:p.pos], " ")
}

// fieldName reads a column, relation, alias or hint name: a double-quoted
// string with backslash escapes, or identifiers joined by '-' (a '-' not
// followed by '>', which starts a JSON path). quoted reports the first form,
// so that callers can tell a keyword (count, left, inner, not) from a quoted
// name that happens to spell it.
func (p *scanner) fieldName() (name string, quoted bool) {
	if p.peek() == '"' {
		return p.quotedString(), true
	}
	first := p.identifier(expFieldName)
	if !p.isDash() {
		return first, false
	}
	var b strings.Builder
	b.WriteString(first)
	for p.isDash() {
		p.pos++
		b.WriteByte('-')
		b.WriteString(p.identifier(expFieldName))
	}
	return b.String(), false
}

func (p *scanner) isDash() bool { return p.peek() == '-' && p.peekAt(1) != '>' }

// quotedString reads "..." where a backslash escapes the next character.
func (p *scanner) quotedString() string {
	p.pos++ // opening quote
	start := p.pos
	var b *strings.Builder
	for {
		if p.eof() {
			p.fail(p.pos, false, `"\""`)
		}
		switch c := p.src[p.pos]; c {
		case '"':
			p.pos++
			if b == nil {
				return p.src[start : p.pos-1]
			}
			return b.String()
		case '\\':
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(p.src[start:p.pos])
			}
			p.pos++
			if p.eof() {
				p.fail(p.pos, false, "any character")
			}
			_, size := utf8.DecodeRuneInString(p.src[p.pos:])
			b.WriteString(p.src[p.pos : p.pos+size])
			p.pos += size
		default:
			if b != nil {
				b.WriteByte(c)
			}
			p.pos++
		}
	}
}

// jsonPath reads zero or more "->operand" and "->>operand" steps.
func (p *scanner) jsonPath() []JSONOp {
	var ops []JSONOp
	for {
		var arrow JSONArrow
		switch {
		case p.hasPrefix("->>"):
			arrow = ArrowText
			p.pos += 3
		case p.hasPrefix("->"):
			arrow = ArrowJSON
			p.pos += 2
		default:
			return ops
		}
		op := p.jsonOperand()
		op.Arrow = arrow
		ops = append(ops, op)
	}
}

func isJSONKeyByte(c byte) bool {
	switch c {
	case '(', '-', ':', '.', ',', '>', ')':
		return false
	}
	return true
}

// jsonOperand reads a JSON key or array index. A quoted operand is always a
// key; an unquoted one made only of ASCII digits, or '-' and digits, is an
// index.
func (p *scanner) jsonOperand() JSONOp {
	if p.peek() == '"' {
		return JSONOp{Operand: p.quotedString()}
	}
	if p.peek() == '-' {
		start := p.pos
		p.pos++
		if !isDigit(p.peek()) {
			p.fail(p.pos, false, expDigit)
		}
		for isDigit(p.peek()) {
			p.pos++
		}
		if !p.atJSONEnd() {
			p.fail(p.pos, true, expDigit, `"->"`, `"::"`, `"."`, expComma, expEnd)
		}
		return JSONOp{Index: true, Operand: p.src[start:p.pos]}
	}
	key := p.jsonKeyPart()
	if p.isDash() {
		var b strings.Builder
		b.WriteString(key)
		for p.isDash() {
			p.pos++
			b.WriteByte('-')
			b.WriteString(p.jsonKeyPart())
		}
		key = b.String()
	}
	if isDigits(key) {
		return JSONOp{Index: true, Operand: key}
	}
	return JSONOp{Operand: key}
}

func (p *scanner) jsonKeyPart() string {
	start := p.pos
	for p.pos < len(p.src) && isJSONKeyByte(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		p.fail(p.pos, false, `"-"`, expDigit, expJSONKey)
	}
	return strings.TrimSpace(p.src[start:p.pos])
}

// atJSONEnd reports whether the cursor is where a JSON array index may end.
func (p *scanner) atJSONEnd() bool {
	switch p.peek() {
	case 0:
		return p.eof()
	case '.', ',', ')', ' ', '\t':
		return true
	case '-':
		return p.peekAt(1) == '>'
	case ':':
		return p.peekAt(1) == ':'
	}
	return false
}

// field reads a field name and its JSON path.
func (p *scanner) field() Field {
	name, _ := p.fieldName()
	return Field{Name: name, JSON: p.jsonPath()}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// word reads a run of ASCII letters and '_' without failing.
func (p *scanner) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}
