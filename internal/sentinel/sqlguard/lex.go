package sqlguard

import "strings"

// The lexer follows PostgreSQL's lexical rules (scan.l) closely enough to
// find where strings, identifiers and comments begin and end, which is
// what an injection changes. It also knows a few MySQL/MSSQL habits that
// attack payloads carry (# comments, `backticks`, /*!versioned*/ comments)
// because generic payloads are thrown at every backend.
//
// It never allocates: tokens are offsets into the input, written to a
// caller-owned slice, and it stops at maxTokens.

// kind is a token's lexical kind.
type kind uint8

const (
	kNone       kind = iota
	kString          // a closed string literal: '…', E'…', U&'…', B'…', $tag$…$tag$
	kStringOpen      // a string literal still open at the end of the value
	kIdent           // a bare word that is not a keyword
	kKeyword         // a bare word found in the keyword table (see tok.kw)
	kQIdent          // "quoted identifier" or `backticked`
	kNumber          // 1, 1.5, .5, 1e5, 0x1F, 0b101, 0o17, 1_000
	kOp              // an operator: = <> || :: ~~ @> …
	kParam           // $1, or a MySQL/MSSQL @var / @@var
	kLParen
	kRParen
	kComma
	kSemi
	kDot
	kComment     // -- … or /* … */ (closed)
	kCommentOpen // /* … still open at the end, or # … (MySQL), or -- … at end
	kOther       // anything else: [ ] { } \ and stray bytes
)

// tok is one token: a kind, a keyword class and where its text is.
type tok struct {
	kind  kind
	kw    kwClass // for kKeyword (and for kIdent when it names a risky function)
	op    opClass // for kOp
	start int32
	end   int32
}

// opClass sorts operators by what an injection uses them for.
type opClass uint8

const (
	opOther   opClass = iota
	opCompare         // = <> != < > <= >= ~~ !~~ ~ ~* …
	opConcat          // ||
	opAnd             // &&
	opCast            // ::
	opArith           // + - * / % ^
)

const maxTokens = 384

func isSpace(c byte) bool {
	// PostgreSQL's whitespace plus the control bytes (NUL, \v, …) that
	// evasions use as blanks: a NUL or \x0b is never part of a real value's
	// SQL meaning, so treating it as a blank errs towards seeing the attack.
	return c <= ' ' || c == 0x7f
}

func blankTail(s string) bool {
	for i := range len(s) {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isOpChar(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '<', '>', '=', '~', '!', '@', '%', '^', '&', '|', '`', '?':
		return true
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lexer scans one value in one context.
type lexer struct {
	s    string
	pos  int
	toks []tok
	// versioned counts open MySQL /*!…*/ comments whose body is code.
	versioned int
}

// lex appends s's tokens to toks[:0] and returns them. When inQuote is
// ' or ", the value is read as if it began inside such a literal (the
// value broke out of a string or quoted identifier the query put it in).
func lex(s string, inQuote byte, toks []tok) []tok {
	l := lexer{s: s, toks: toks[:0]}
	switch inQuote {
	case 0:
	case '$':
		if k := strings.Index(s, "$$"); k >= 0 {
			l.pos = k + 2
			l.emit(kString, 0)
		} else {
			l.pos = len(s)
			l.emit(kStringOpen, 0)
		}
	default:
		l.quoted(0, inQuote, false)
	}
	for l.pos < len(l.s) && len(l.toks) < maxTokens {
		l.next()
	}
	return l.toks
}

func (l *lexer) emit(k kind, start int) {
	l.toks = append(l.toks, tok{kind: k, start: int32(start), end: int32(l.pos)}) //nolint:gosec // values are bounded by Config.MaxLength
}

func (l *lexer) next() {
	s, i := l.s, l.pos
	c := s[i]
	switch {
	case c == 0 && blankTail(s[i:]):
		// A trailing NUL ends the value for C-string backends: a
		// truncation. Elsewhere a NUL is a blank (%00' union …).
		l.pos = len(s)
		l.emit(kCommentOpen, i)
	case isSpace(c):
		l.pos++
	case c == '-' && i+1 < len(s) && s[i+1] == '-':
		l.lineComment(i)
	case c == '/' && i+1 < len(s) && s[i+1] == '*':
		l.blockComment(i)
	case c == '*' && l.versioned > 0 && i+1 < len(s) && s[i+1] == '/':
		l.versioned--
		l.pos += 2
	case c == '#' && i+1 < len(s) && !isSpace(s[i+1]) && strings.IndexByte(s[i:], '\n') < 0:
		// #hashtag, pass"#{x: PostgreSQL's XOR operator more than a
		// MySQL comment (payloads end with theirs, or put a blank or a
		// line break after it).
		l.pos++
		l.emit(kOp, i)
	case c == '#':
		// MySQL's comment; in PostgreSQL an operator (XOR), which values
		// almost never contain, so reading it as a comment costs nothing.
		for l.pos < len(s) && s[l.pos] != '\n' {
			l.pos++
		}
		l.emit(kCommentOpen, i)
	case c == '\'':
		l.quoted(i+1, '\'', false)
		l.fixStart(i)
	case c == '"':
		l.quoted(i+1, '"', false)
		l.fixStart(i)
	case c == '`':
		j := i + 1
		for j < len(s) && s[j] != '`' {
			j++
		}
		if j < len(s) {
			l.pos = j + 1
			l.emit(kQIdent, i)
		} else {
			l.pos = j
			l.emit(kStringOpen, i)
		}
	case c == '$':
		l.dollar(i)
	case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
		l.number(i)
	case isIdentStart(c):
		l.word(i)
	case c == '(':
		l.pos++
		l.emit(kLParen, i)
	case c == ')':
		l.pos++
		l.emit(kRParen, i)
	case c == ',':
		l.pos++
		l.emit(kComma, i)
	case c == ';':
		l.pos++
		l.emit(kSemi, i)
	case c == '.':
		l.pos++
		l.emit(kDot, i)
	case c == ':':
		if i+1 < len(s) && s[i+1] == ':' {
			l.pos += 2
			l.emit(kOp, i)
			l.toks[len(l.toks)-1].op = opCast
			return
		}
		l.pos++
		l.emit(kOther, i)
	case c == '@' && (i == 0 || !isIdentCont(s[i-1])) &&
		(i+1 < len(s) && isIdentStart(s[i+1]) || i+2 < len(s) && s[i+1] == '@' && isIdentStart(s[i+2])):
		// MySQL's @var and @@version, SQL Server's @p (PostgreSQL's @
		// operators take a blank or a number; an email's @ follows a word).
		j := i + 1
		if s[j] == '@' {
			j++
		}
		for j < len(s) && isIdentCont(s[j]) {
			j++
		}
		l.pos = j
		l.emit(kParam, i)
	case isOpChar(c):
		l.operator(i)
	default:
		l.pos++
		l.emit(kOther, i)
	}
}

// fixStart makes the last token start at start (the opening quote).
func (l *lexer) fixStart(start int) {
	l.toks[len(l.toks)-1].start = int32(start) //nolint:gosec // bounded
}

func (l *lexer) lineComment(i int) {
	j := i + 2
	for j < len(l.s) && l.s[j] != '\n' {
		j++
	}
	l.pos = j
	if j >= len(l.s) {
		l.emit(kCommentOpen, i)
		return
	}
	l.emit(kComment, i)
}

func (l *lexer) blockComment(i int) {
	s := l.s
	if i+2 < len(s) && s[i+2] == '!' && strings.Contains(s[i+3:], "*/") {
		// MySQL's /*!50000 UNION*/: the body is code.
		j := i + 3
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		l.versioned++
		l.pos = j
		l.emit(kComment, i)
		return
	}
	depth := 1
	j := i + 2
	for j < len(s) && depth > 0 {
		switch {
		case s[j] == '/' && j+1 < len(s) && s[j+1] == '*':
			depth++
			j += 2
		case s[j] == '*' && j+1 < len(s) && s[j+1] == '/':
			depth--
			j += 2
		default:
			j++
		}
	}
	l.pos = j
	if depth > 0 {
		l.emit(kCommentOpen, i)
		return
	}
	l.emit(kComment, i)
}

// quoted scans a '…' or "…" literal whose body starts at i. backslash
// says backslashes escape (E'…').
func (l *lexer) quoted(i int, q byte, backslash bool) {
	s := l.s
	j := i
	for j < len(s) {
		c := s[j]
		if backslash && c == '\\' {
			j += 2
			continue
		}
		if c == q {
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			l.pos = j + 1
			if q == '"' {
				l.emit(kQIdent, i)
			} else {
				l.emit(kString, i)
			}
			return
		}
		j++
	}
	l.pos = len(s)
	l.emit(kStringOpen, i)
}

func (l *lexer) dollar(i int) {
	s := l.s
	j := i + 1
	if j < len(s) && isDigit(s[j]) {
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		l.pos = j
		l.emit(kParam, i)
		return
	}
	for j < len(s) && s[j] != '$' && (isIdentStart(s[j]) || j > i+1 && isDigit(s[j])) {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		l.pos = i + 1
		l.emit(kOther, i)
		return
	}
	tag := s[i : j+1]
	body := j + 1
	for k := body; k+len(tag) <= len(s); k++ {
		if s[k] == '$' && s[k:k+len(tag)] == tag {
			l.pos = k + len(tag)
			l.emit(kString, i)
			return
		}
	}
	l.pos = len(s)
	l.emit(kStringOpen, i)
}

func (l *lexer) number(i int) {
	s := l.s
	j := i
	if s[j] == '0' && j+1 < len(s) {
		switch lower(s[j+1]) {
		case 'x', 'b', 'o':
			k := j + 2
			for k < len(s) && (isDigit(s[k]) || lower(s[k]) >= 'a' && lower(s[k]) <= 'f' || s[k] == '_') {
				k++
			}
			if k > j+2 {
				l.pos = k
				l.emit(kNumber, i)
				return
			}
		}
	}
	for j < len(s) && (isDigit(s[j]) || s[j] == '_') {
		j++
	}
	if j < len(s) && s[j] == '.' && !(j+1 < len(s) && s[j+1] == '.') {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && lower(s[j]) == 'e' {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	// MySQL reads 1e0union, 0eunion and 1dunion as a number then UNION:
	// a one-letter suffix glued to a keyword belongs to the number.
	if j < len(s) && j > i && (lower(s[j]) == 'e' || lower(s[j]) == 'd' || lower(s[j]) == 'f') {
		k := j + 1
		for k < len(s) && isIdentCont(s[k]) {
			k++
		}
		if k > j+1 && lookupWord(s[j+1:k]).isKeyword() {
			j++
		}
	}
	l.pos = j
	l.emit(kNumber, i)
}

func (l *lexer) word(i int) {
	s := l.s
	j := i + 1
	for j < len(s) && isIdentCont(s[j]) {
		j++
	}
	// String prefixes: E'…' (backslash escapes), B'…', X'…', N'…', U&'…'.
	if j == i+1 && j < len(s) {
		switch lower(s[i]) {
		case 'e':
			if s[j] == '\'' {
				l.quoted(j+1, '\'', true)
				l.fixStart(i)
				return
			}
		case 'b', 'x', 'n':
			if s[j] == '\'' {
				l.quoted(j+1, '\'', false)
				l.fixStart(i)
				return
			}
		case 'u':
			if j+1 < len(s) && s[j] == '&' && (s[j+1] == '\'' || s[j+1] == '"') {
				l.quoted(j+2, s[j+1], false)
				l.fixStart(i)
				return
			}
		}
	}
	l.pos = j
	l.emit(kIdent, i)
	t := &l.toks[len(l.toks)-1]
	if kw := lookupWord(s[i:j]); kw != kwNone {
		t.kw = kw
		if kw.isKeyword() {
			t.kind = kKeyword
		}
	}
}

func (l *lexer) operator(i int) {
	s := l.s
	j := i
	for j < len(s) && isOpChar(s[j]) {
		if j > i && (s[j] == '-' && j+1 < len(s) && s[j+1] == '-' || s[j] == '/' && j+1 < len(s) && s[j+1] == '*') {
			break
		}
		// A unary sign after another operator stands alone: =-1, <>+1.
		if j > i && (s[j] == '-' || s[j] == '+') {
			break
		}
		if l.versioned > 0 && s[j] == '*' && j+1 < len(s) && s[j+1] == '/' {
			break
		}
		j++
	}
	if j == i {
		j = i + 1
	}
	l.pos = j
	l.emit(kOp, i)
	l.toks[len(l.toks)-1].op = classifyOp(s[i:j])
}

func classifyOp(op string) opClass {
	switch op {
	case "=", "==", "<>", "!=", "<", ">", "<=", ">=", "<=>", "~~", "!~~", "~~*", "!~~*", "~", "~*", "!~", "!~*", "^=":
		return opCompare
	case "||":
		return opConcat
	case "&&":
		return opAnd
	case "+", "-", "*", "/", "%", "^", "|", "&":
		return opArith
	}
	return opOther
}
