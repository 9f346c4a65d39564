package pgwire

import "strings"

// sqlTraits is what the pooler needs to know about a query string: whether
// it uses a session feature that transaction pooling cannot honour. The scan
// is cheap and deliberately coarse (see [scanSQL]).
type sqlTraits struct {
	// listen: a statement is LISTEN, which needs the same server connection
	// for the whole session to receive its notifications.
	listen bool
	// session: a statement changes session state that would outlive the
	// transaction on the pooled server connection (SET without LOCAL,
	// RESET, PREPARE, DECLARE, CREATE TEMP, LOAD, session advisory locks,
	// set_config). The pooler resets such a connection with DISCARD ALL
	// before another client gets it.
	session bool
}

// sessionFuncs are functions whose effect outlives the transaction.
var sessionFuncs = map[string]bool{
	"set_config":                  true, // is_local may be false
	"pg_advisory_lock":            true,
	"pg_advisory_lock_shared":     true,
	"pg_try_advisory_lock":        true,
	"pg_try_advisory_lock_shared": true,
	"dblink_connect":              true,
	"dblink_connect_u":            true,
}

// scanSQL lexes sql just enough to find the first words of each statement
// and every identifier outside string literals, quoted identifiers and
// comments. It never fails: malformed SQL (an unterminated literal) ends the
// scan, and PostgreSQL reports the error.
func scanSQL(sql string) sqlTraits {
	var t sqlTraits
	var head []string // first words of the current statement
	endStatement := func() {
		t.classify(head)
		head = head[:0]
	}
	i, n := 0, len(sql)
	for i < n {
		c := sql[i]
		switch {
		case c == ';':
			endStatement()
			i++
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' && sql[i] != '\r' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case c == '\'':
			escapes := i > 0 && (sql[i-1] == 'e' || sql[i-1] == 'E') && (i < 2 || !isIdentChar(sql[i-2]))
			i = skipQuoted(sql, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
		case c == '$' && (i == 0 || !isIdentChar(sql[i-1])):
			i = skipDollar(sql, i)
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentChar(sql[j]) {
				j++
			}
			w := strings.ToLower(sql[i:j])
			if len(head) < 6 {
				head = append(head, w)
			}
			if sessionFuncs[w] {
				t.session = true
			}
			i = j
		default:
			i++
		}
	}
	endStatement()
	return t
}

// classify looks at the first words of one statement.
func (t *sqlTraits) classify(head []string) {
	if len(head) == 0 {
		return
	}
	second := ""
	if len(head) > 1 {
		second = head[1]
	}
	switch head[0] {
	case "listen":
		t.listen = true
	case "set":
		switch second {
		case "local", "transaction", "constraints":
		default:
			t.session = true
		}
	case "reset", "prepare", "declare", "load":
		t.session = true
	case "create":
		for _, w := range head[1:] {
			if w == "temp" || w == "temporary" {
				t.session = true
			}
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// skipBlockComment returns the index after the (nestable) comment at i.
func skipBlockComment(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case s[i] == '/' && i+1 < len(s) && s[i+1] == '*':
			depth++
			i += 2
		case s[i] == '*' && i+1 < len(s) && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// skipQuoted returns the index after the literal or quoted identifier at i,
// delimited by q, where a doubled q stands for itself (and, with escapes, a
// backslash escapes the next byte).
func skipQuoted(s string, i int, q byte, escapes bool) int {
	i++
	for i < len(s) {
		switch {
		case escapes && s[i] == '\\':
			i += 2
		case s[i] == q:
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		default:
			i++
		}
	}
	return len(s)
}

// skipDollar returns the index after the dollar-quoted string at i, or i+1
// when the $ does not open one (a parameter such as $1).
func skipDollar(s string, i int) int {
	j := i + 1
	for j < len(s) && s[j] != '$' {
		if !isIdentStart(s[j]) && (j == i+1 || s[j] < '0' || s[j] > '9') {
			return i + 1
		}
		j++
	}
	if j >= len(s) {
		return i + 1
	}
	tag := s[i : j+1]
	end := strings.Index(s[j+1:], tag)
	if end < 0 {
		return len(s)
	}
	return j + 1 + end + len(tag)
}
