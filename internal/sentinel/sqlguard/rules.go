package sqlguard

import "strings"

// context is where the query put the value: as-is (a number, or SQL
// built by concatenation), inside '…', or inside "…".
type context uint8

const (
	ctxAsIs context = iota
	ctxSingle
	ctxDouble
	ctxDollar // inside a $$…$$ body (a function or DO block built from the value)
	numContexts
)

// view is one reading of a value: its significant tokens (comments
// dropped, comment-split keywords joined) and what the comments were.
type view struct {
	ctx  context
	s    string
	toks []tok
	// brokeOut: in ctxSingle/ctxDouble, the literal the value began in
	// was closed by the value (toks[0] is that literal).
	brokeOut      bool
	parenOut      bool // as-is: the value closed more parentheses than it opened: 1)) or …
	endComment    bool // the value ends in a comment (truncating the query)
	bareComment   bool // … and the comment says nothing: "--", "-- -", "#", "--+", "-- xMnO"
	inlineComment bool // a comment sits between two tokens (a blank in disguise)
	joined        kwClass
	versioned     bool // a MySQL /*!…*/ comment
}

// build fills v from raw tokens.
func (v *view) build(ctx context, s string, raw []tok, dst []tok) {
	*v = view{ctx: ctx, s: s, toks: dst[:0]}
	var pendingComment *tok
	for i := range raw {
		t := raw[i]
		if t.kind == kComment || t.kind == kCommentOpen {
			if strings.HasPrefix(s[t.start:t.end], "/*!") {
				v.versioned = true
			}
			if i == len(raw)-1 || t.kind == kCommentOpen {
				if len(v.toks) > 0 {
					v.endComment = true
					v.bareComment = bareComment(s[t.start:t.end])
				}
			} else if len(v.toks) > 0 {
				v.inlineComment = true
			}
			pendingComment = &raw[i]
			continue
		}
		if pendingComment != nil && len(v.toks) > 0 {
			p := &v.toks[len(v.toks)-1]
			if isWord(p.kind) && isWord(t.kind) && p.end == pendingComment.start && pendingComment.end == t.start {
				if kw := lookupJoined(s[p.start:p.end], s[t.start:t.end]); kw != kwNone {
					// UN/**/ION: keep the joined word.
					p.kw, p.end = kw, t.end
					if kw.isKeyword() {
						p.kind = kKeyword
					}
					v.joined = kw
					pendingComment = nil
					continue
				}
			}
		}
		pendingComment = nil
		v.toks = append(v.toks, t)
	}
	if ctx != ctxAsIs && len(v.toks) > 0 {
		first := v.toks[0].kind
		v.brokeOut = first == kString || first == kQIdent
		if first != kString && first != kQIdent && first != kStringOpen {
			v.brokeOut = false
		}
	}
}

// lowerWord lowercases an ASCII word into buf without allocating; longer
// words come back as "" (no keyword is that long).
func lowerWord(buf *[24]byte, w string) string {
	if len(w) > len(buf) {
		return ""
	}
	for i := range len(w) {
		buf[i] = lower(w[i])
	}
	return bytesString(buf[:len(w)])
}

// bareComment reports whether a trailing comment is there only to cut
// the query off: empty, or one short word (sqlmap's "-- xMnO").
func bareComment(c string) bool {
	switch {
	case strings.HasPrefix(c, "--"), strings.HasPrefix(c, "/*"):
		c = c[2:]
	case strings.HasPrefix(c, "#"):
		c = c[1:]
	default:
		return true // a NUL
	}
	if c != "" && (isDigit(c[0]) || isIdentStart(c[0])) {
		return false // --word: text glued to the dashes (P@ss'--w0rd), not sqlmap's "-- xMnO"
	}
	c = strings.TrimSuffix(strings.TrimSpace(c), "*/")
	return len(c) <= 6 && !strings.ContainsAny(c, " \t")
}

func isWord(k kind) bool { return k == kIdent || k == kKeyword }

func (v *view) text(i int) string { return v.s[v.toks[i].start:v.toks[i].end] }

func (v *view) is(i int, w string) bool {
	if i < 0 || i >= len(v.toks) || !isWord(v.toks[i].kind) || int(v.toks[i].end-v.toks[i].start) != len(w) {
		return false
	}
	return strings.EqualFold(v.text(i), w)
}

func (v *view) kind(i int) kind {
	if i < 0 || i >= len(v.toks) {
		return kNone
	}
	return v.toks[i].kind
}

func (v *view) kw(i int) kwClass {
	if i < 0 || i >= len(v.toks) {
		return kwNone
	}
	return v.toks[i].kw
}

// call reports whether token i is a word followed by "(".
func (v *view) call(i int) bool {
	return isWord(v.kind(i)) && v.kind(i+1) == kLParen
}

// verdict is a rule's conclusion: a score in [0,1] and a short reason.
type verdict struct {
	score  float64
	reason string
}

func (a *verdict) raise(score float64, reason string) {
	if score > a.score {
		a.score, a.reason = score, reason
	}
}

// isLiteral reports whether token i is a constant an attacker compares.
func (v *view) isLiteral(i int) bool {
	switch v.kind(i) {
	case kNumber, kString, kParam:
		return true
	case kStringOpen, kQIdent:
		// "…" is a string to MySQL, which payloads that break out of
		// "…" are written for; elsewhere it names a column.
		return v.text(i)[0] != '"' || v.ctx == ctxDouble
	case kKeyword:
		return v.kw(i) == kwLiteral
	}
	return false
}

// check runs every rule over v.
func (v *view) check(out *verdict) {
	n := len(v.toks)
	if n == 0 {
		return
	}
	if v.versioned {
		out.raise(0.9, "versioned comment")
	}
	if v.joined != kwNone && (v.joined.isKeyword() || v.joined.isFunc()) {
		out.raise(0.95, "comment inside keyword")
	}
	v.global(out)
	start := 0
	switch {
	case v.brokeOut:
		start = 1
	case v.ctx != ctxAsIs:
		return
	default:
		// As-is: a number (or a sign and a number) an attacker extends.
		j := 0
		for v.kind(j) == kLParen {
			j++
		}
		if v.kind(j) == kOp && (v.text(j) == "-" || v.text(j) == "+") {
			j++
		}
		if v.kind(j) == kNumber || v.kind(j) == kParam {
			start = j + 1
			opened := j
			if v.kind(0) == kOp {
				opened--
			}
			closed := 0
			for v.kind(start+closed) == kRParen {
				closed++
			}
			v.parenOut = closed > opened
		} else {
			v.statementAt(0, 0.45, out)
			switch {
			case v.kw(0) == kwLogic && v.kind(1) != kOp:
				// or 1=1-- : the value is appended to a condition.
				v.condition(1, 0.95, out)
				if n == 2 && v.isLiteral(1) && !v.prose(1) {
					out.raise(0.6, "boolean condition") // AND 1, OR true
				}
			case (v.is(0, "order") || v.is(0, "group")) && v.is(1, "by") && v.endComment:
				// ORDER BY 3-- appended to a query
				j := 2
				for v.kind(j) == kNumber || v.kind(j) == kComma {
					j++
				}
				if j == n && j > 2 {
					out.raise(0.7, "order by probe")
				}
			}
			return
		}
	}
	v.breakOut(start, out)
}

// global looks anywhere in the value for things that are SQL and
// dangerous whatever the context: union select, stacked statements,
// calls of time, file, network and configuration functions, COPY …
// PROGRAM, error-based casts, CHR() chains.
func (v *view) global(out *verdict) {
	n := len(v.toks)
	chrCalls, concat := 0, 0
	sawSelect, sawFrom := false, false
	for i := range n {
		t := v.toks[i]
		switch t.kind {
		case kKeyword:
			switch t.kw {
			case kwUnion:
				j := i + 1
				if v.is(j, "all") || v.is(j, "distinct") {
					j++
				}
				for v.kind(j) == kLParen {
					j++
				}
				if v.kw(j) == kwSelect {
					switch {
					case v.selectBody(j + 1), v.is(j+1, "all"), v.is(j+1, "distinct"), v.kind(j+1) == kIdent,
						v.kind(j+1) == kParam, v.kw(j+1) == kwClause && !v.structural(j+1):
						out.raise(1, "union select")
					case j+1 >= n:
						out.raise(0.9, "union select")
					default:
						out.raise(0.45, "union select")
					}
				}
			case kwSelect:
				sawSelect = true
				if v.kind(i-1) == kLParen && v.selectBody(i+1) {
					out.raise(0.85, "subquery")
				}
			case kwStmt:
				if v.is(i, "waitfor") && (v.is(i+1, "delay") || v.is(i+1, "time")) {
					out.raise(1, "time delay: waitfor")
				}
				if v.is(i, "copy") {
					for j := i + 1; j < n && j < i+40; j++ {
						if v.is(j, "program") {
							out.raise(1, "copy program")
							break
						}
					}
				}
			case kwClause:
				if v.is(i, "from") {
					sawFrom = true
				}
				if v.is(i, "into") && (v.is(i+1, "outfile") || v.is(i+1, "dumpfile")) {
					out.raise(1, "into outfile")
				}
				if v.is(i, "cast") && v.kind(i+1) == kLParen && v.castOfQuery(i+2) {
					out.raise(0.9, "error-based cast")
				}
			}
		case kSemi:
			if i+1 < n {
				v.statementAt(i+1, 1, out)
			}
		case kOp:
			switch t.op {
			case opConcat:
				concat++
			case opCast:
				if v.kind(i-1) == kRParen && v.kw(i+1) == kwType && v.castTargetsQuery(i-1) {
					out.raise(0.9, "error-based cast")
				}
			}
		case kParam:
			if strings.HasPrefix(v.text(i), "@@") && serverVariable(v.text(i)[2:]) {
				out.raise(0.8, "server variable")
			}
		}
		if v.call(i) {
			switch t.kw {
			case kwFuncTime:
				if v.is(i, "sleep") && v.kind(i+2) != kNumber && v.kind(i+2) != kLParen {
					break
				}
				out.raise(v.callScore(i, 0.95), "time delay function")
			case kwFuncRisky:
				out.raise(v.callScore(i, 0.95), "dangerous function")
			case kwFuncStr:
				if v.is(i, "chr") || v.is(i, "char") || v.is(i, "nchar") {
					chrCalls++
				}
			}
		}
		if (t.kw == kwFuncRisky || t.kw == kwFuncTime) && v.kind(i+1) == kDot && v.call(i+2) {
			// utl_http.request(…), dbms_pipe.receive_message(…)
			out.raise(0.9, "dangerous function")
		}
		if t.kw == kwCatalog && (v.kind(i+1) == kDot || v.kind(i-1) == kDot || v.is(i-1, "from")) {
			if sawSelect || sawFrom {
				out.raise(0.9, "system catalog")
			}
		}
	}
	if chrCalls >= 2 && (concat > 0 || chrCalls >= 3) {
		out.raise(0.85, "chr concatenation")
	}
}

// structural reports whether token i is a keyword that cannot start a
// select list (union select where …: prose, not SQL).
func (v *view) structural(i int) bool {
	for _, w := range [...]string{"where", "from", "by", "order", "group", "having", "limit", "into", "on", "as", "then", "else", "end", "when", "to", "in", "is", "like", "between", "join"} {
		if v.is(i, w) {
			return true
		}
	}
	return false
}

// serverVariable reports whether @@name is one payloads read.
func serverVariable(name string) bool {
	for _, w := range [...]string{"version", "datadir", "hostname", "servername", "basedir", "tmpdir", "spid", "identity", "user", "global", "session", "language", "servicename", "rowcount", "error"} {
		if len(name) >= len(w) && strings.EqualFold(name[:len(w)], w) {
			return true
		}
	}
	return false
}

// callScore returns s for the call at i, or a weak score when prose
// follows its closing parenthesis ("sleep(8) hours a night",
// "current_setting('timezone') returns the zone"). PostgreSQL's own
// pg_ functions keep s: prose rarely names them with arguments.
func (v *view) callScore(i int, s float64) float64 {
	if hasPrefixFold(v.text(i), "pg_") {
		return s
	}
	depth := 0
	for j := i + 1; j < len(v.toks); j++ {
		switch v.kind(j) {
		case kLParen:
			depth++
		case kRParen:
			depth--
			if depth == 0 {
				if v.kind(j+1) == kIdent {
					return 0.45
				}
				return s
			}
		}
	}
	return s
}

// selectBody reports whether the tokens from i look like a select list
// rather than prose ("select one").
func (v *view) selectBody(i int) bool {
	switch v.kind(i) {
	case kNumber, kParam, kQIdent:
		return true
	case kString, kStringOpen:
		return !v.prose(i)
	case kLParen:
		k := v.kind(i + 1)
		return k == kNumber || k == kString || k == kLParen || v.kw(i+1) == kwSelect || v.is(i+1, "case") || v.call(i+1) && v.kw(i+1).isFunc()
	case kOp:
		return v.text(i) == "*"
	case kKeyword:
		if v.kw(i) == kwLiteral || v.is(i, "case") || v.is(i, "distinct") && v.kind(i+1) != kRParen || v.call(i) {
			return true
		}
		if v.kw(i) != kwClause {
			return false
		}
		fallthrough // a column named like a keyword: select password from users
	case kIdent:
		if v.call(i) || v.kw(i).isFunc() || v.kw(i) == kwCatalog {
			return true
		}
		// select a from b, select a.b, select a,b, select a
		k := v.kind(i + 1)
		return k == kDot || k == kComma || v.is(i+1, "from")
	}
	return false
}

// castOfQuery reports whether CAST( at i holds a query or a function
// call (CAST((SELECT …) AS int), CAST(version() AS int)).
func (v *view) castOfQuery(i int) bool {
	depth := 1
	for j := i; j < len(v.toks) && j < i+60; j++ {
		switch v.kind(j) {
		case kLParen:
			depth++
		case kRParen:
			depth--
			if depth == 0 {
				return false
			}
		case kKeyword:
			if v.kw(j) == kwSelect {
				return true
			}
		}
		if v.kw(j).isFunc() || v.kw(j) == kwCatalog || v.is(j, "user") {
			return true
		}
	}
	return false
}

// castTargetsQuery reports whether the parenthesis closing at i holds a
// query or a call: (SELECT …)::int, version()::int.
func (v *view) castTargetsQuery(i int) bool {
	depth := 0
	for j := i; j >= 0 && j > i-60; j-- {
		switch v.kind(j) {
		case kRParen:
			depth++
		case kLParen:
			depth--
			if depth == 0 {
				return v.kw(j-1).isFunc() || v.kw(j+1) == kwSelect
			}
		}
	}
	return false
}

// statementAt judges a statement starting at i, scaled by weight (1
// after a semicolon, less at the start of a value with no break-out).
func (v *view) statementAt(i int, weight float64, out *verdict) {
	n := len(v.toks)
	if i >= n || v.kind(i) != kKeyword {
		return
	}
	next := func(ws ...string) bool {
		for _, w := range ws {
			if v.is(i+1, w) {
				return true
			}
		}
		return false
	}
	within := func(w string, limit int) bool {
		for j := i + 1; j < n && j <= i+limit; j++ {
			if v.is(j, w) {
				return true
			}
		}
		return false
	}
	var s float64
	reason := ""
	var lb [24]byte
	switch lowerWord(&lb, v.text(i)) {
	case "drop":
		if next("table", "database", "schema", "function", "role", "user", "view", "index",
			"extension", "trigger", "sequence", "type", "owned", "procedure", "language",
			"policy", "materialized", "server", "event", "rule", "publication", "subscription") {
			s, reason = v.objectTail(i+2, 1), "stacked statement: DROP"
		}
	case "delete":
		if next("from") {
			s, reason = v.objectTail(i+2, 1), "stacked statement: DELETE"
		}
	case "insert":
		if next("into") {
			s, reason = v.objectTail(i+2, 1), "stacked statement: INSERT"
		}
	case "update":
		if (isWord(v.kind(i+1)) || v.kind(i+1) == kQIdent) && v.is(v.afterName(i+1), "set") {
			s, reason = 1, "stacked statement: UPDATE"
		}
	case "create", "alter":
		switch {
		case next("role", "user", "group"):
			s, reason = v.objectTail(i+2, 1), "stacked statement: CREATE/ALTER ROLE"
		case next("extension"):
			s, reason = v.objectTail(i+2, 1), "stacked statement: CREATE EXTENSION"
		case next("or") && v.is(i+2, "replace"):
			s, reason = 1, "stacked statement: CREATE/ALTER"
		case next("system") && v.is(i+2, "set"):
			s, reason = 1, "stacked statement: CREATE/ALTER"
		case next("table", "function", "database", "schema", "view", "trigger",
			"index", "language", "policy", "server", "procedure", "sequence",
			"type", "publication", "subscription", "aggregate", "operator", "cast"):
			s, reason = v.objectTail(i+2, 1), "stacked statement: CREATE/ALTER"
		case next("temp", "temporary", "unlogged", "foreign", "materialized", "event", "large", "default"):
			s, reason = 0.9, "stacked statement: CREATE/ALTER"
		}
	case "truncate":
		if next("table", "only") || (v.kind(i+1) == kIdent || v.kind(i+1) == kQIdent) &&
			(i+2 >= n || v.kind(i+2) == kSemi || v.kind(i+2) == kComma || v.is(i+2, "cascade") || v.is(i+2, "restart")) {
			s, reason = 1, "stacked statement: TRUNCATE"
		}
	case "grant", "revoke":
		if next("all", "select", "insert", "update", "delete", "usage", "execute", "create", "connect",
			"references", "trigger", "temporary", "truncate", "pg_read_server_files",
			"pg_execute_server_program", "pg_write_server_files", "pg_read_all_data", "pg_write_all_data") ||
			v.is(v.afterName(i+1), "to") || v.is(v.afterName(i+1), "from") {
			s, reason = 1, "stacked statement: GRANT"
		}
	case "copy":
		if within("program", 40) {
			s, reason = 1, "copy program"
		} else if j := v.afterCopySource(i + 1); (v.is(j, "to") || v.is(j, "from")) &&
			(v.kind(j+1) == kString || v.is(j+1, "stdout") || v.is(j+1, "stdin")) {
			s, reason = 1, "stacked statement: COPY"
		}
	case "exec", "execute":
		switch k := v.kind(i + 1); {
		case k == kParam, k == kString, k == kLParen && (v.kind(i+2) == kString || v.kind(i+2) == kParam),
			v.call(i+1) && v.kw(i+1).isFunc():
			s, reason = 0.95, "stacked statement: EXEC"
		case isWord(k) && (v.is(i+1, "master") || hasPrefixFold(v.text(i+1), "xp_") || hasPrefixFold(v.text(i+1), "sp_")):
			s, reason = 0.95, "stacked statement: EXEC"
		case isWord(k) && v.objectTail(i+1, 1) == 1:
			s, reason = 0.45, "stacked statement: EXEC"
		}
	case "declare":
		if v.kind(i+1) == kParam || v.kind(i+1) == kIdent {
			s, reason = 0.9, "stacked statement: DECLARE"
		}
	case "shutdown":
		s, reason = 1, "stacked statement: SHUTDOWN"
	case "waitfor":
		if next("delay", "time") {
			s, reason = 1, "time delay: waitfor"
		}
	case "select":
		if v.selectBody(i + 1) {
			s, reason = 1, "stacked statement: SELECT"
		}
	case "set":
		switch {
		case next("role") && v.objectTail(i+2, 1) == 1, next("session") && v.is(i+2, "authorization"),
			next("session", "local") && (v.is(i+2, "role") || v.is(i+2, "session") && v.is(i+3, "authorization")):
			s, reason = 1, "stacked statement: SET ROLE"
		case v.kind(i+1) == kIdent && (v.kind(i+2) == kOp && v.text(i+2) == "=" || v.is(i+2, "to")):
			s, reason = 0.8, "stacked statement: SET"
		case next("local"):
			s, reason = 0.8, "stacked statement: SET"
		}
	case "do":
		if v.kind(i+1) == kString || v.kind(i+1) == kStringOpen || next("language") {
			s, reason = 1, "stacked statement: DO"
		}
	case "load":
		if v.kind(i+1) == kString || next("data") {
			s, reason = 1, "stacked statement: LOAD"
		}
	case "call":
		if v.call(i + 1) {
			s, reason = 0.45, "stacked statement: CALL"
		}
	case "begin", "commit", "rollback", "checkpoint", "vacuum":
		// Harmless on their own and common words: evidence, not proof.
		if i+1 >= n || v.kind(i+1) == kSemi || weight == 1 && v.is(i, "vacuum") && (v.is(i+1, "full") || v.is(i+1, "analyze")) {
			s, reason = 0.45, "stacked statement"
		}
	case "reset":
		if next("role", "all") || next("session") && v.is(i+2, "authorization") {
			s, reason = 0.9, "stacked statement: SET ROLE"
		}
	case "show":
		if v.kind(i+1) == kIdent && (i+2 >= n || v.kind(i+2) == kSemi) {
			s, reason = 0.45, "stacked statement: SHOW"
		}
	case "listen", "notify", "prepare", "deallocate", "discard", "lock", "handler", "rename", "replace", "merge":
		if v.kind(i+1) == kIdent && weight == 1 {
			s, reason = 0.55, "stacked statement"
		}
	}
	if s == 0 {
		return
	}
	if weight < 1 && s == 1 {
		// A statement at the start of a value breaks out of nothing:
		// strong only when it is terminated or commented like a payload
		// (and, for a SELECT, commented).
		if reason != "stacked statement: SELECT" {
			for j := i + 1; j < n; j++ {
				if v.kind(j) == kSemi {
					weight = 0.9
				}
			}
		}
		if v.endComment && v.bareComment {
			weight = 0.9
		}
	}
	out.raise(s*weight, reason)
}

// afterName returns the index after the (maybe qualified) name at i.
func (v *view) afterName(i int) int {
	if v.is(i, "if") {
		// IF [NOT] EXISTS
		i++
		if v.kw(i) == kwNot {
			i++
		}
		i++
	}
	if !isWord(v.kind(i)) && v.kind(i) != kQIdent {
		return i
	}
	i++
	for v.kind(i) == kDot && (isWord(v.kind(i+1)) || v.kind(i+1) == kQIdent) {
		i += 2
	}
	return i
}

// objectTail returns s when the name at i is followed by what SQL puts
// after an object's name (the end, ";", "(", a keyword, a string…), and
// a weak score when prose follows ("drop table tennis later").
func (v *view) objectTail(i int, s float64) float64 {
	j := v.afterName(i)
	if j == i {
		return 0.45 * s
	}
	switch k := v.kind(j); {
	case k == kNone, k == kSemi, k == kLParen, k == kComma, k == kString, k == kStringOpen, k == kOp, k == kKeyword, k == kQIdent:
		return s
	case v.is(j, "cascade"), v.is(j, "restrict"), v.is(j, "createdb"), v.is(j, "createrole"), v.is(j, "nologin"),
		v.is(j, "replication"), v.is(j, "bypassrls"), v.is(j, "none"), v.is(j, "default"),
		v.is(j, "add"), v.is(j, "enable"), v.is(j, "disable"), v.is(j, "attach"), v.is(j, "detach"),
		v.is(j, "validate"), v.is(j, "force"), v.is(j, "no"), v.is(j, "nosuperuser"):
		return s
	}
	return 0.45 * s
}

// afterCopySource returns the index after COPY's table or (query).
func (v *view) afterCopySource(i int) int {
	if v.kind(i) != kLParen {
		j := v.afterName(i)
		if v.kind(j) == kLParen { // a column list
			for j < len(v.toks) && v.kind(j) != kRParen {
				j++
			}
			j++
		}
		return j
	}
	depth := 0
	for j := i; j < len(v.toks); j++ {
		switch v.kind(j) {
		case kLParen:
			depth++
		case kRParen:
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(v.toks)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// breakOut judges what follows the point where the value left its
// literal (or its number): a boolean condition, a comment, a clause.
func (v *view) breakOut(i int, out *verdict) {
	n := len(v.toks)
	w := 1.0
	if v.ctx == ctxAsIs {
		w = 0.95
	}
	// Closing parentheses: ') or ('1'='1, 1)) union …
	for v.kind(i) == kRParen {
		i++
	}
	if i >= n {
		switch {
		case v.endComment && v.brokeOut && v.bareComment:
			out.raise(0.9, "comment truncation")
		case v.endComment && v.brokeOut:
			// The '--' flag…: a comment with words in it.
			out.raise(0.4, "comment truncation")
		case v.endComment && (v.inlineComment || v.bareComment):
			out.raise(0.6, "comment truncation")
		}
		return
	}
	t := v.toks[i]
	switch t.kind {
	case kKeyword:
		switch t.kw {
		case kwLogic:
			v.condition(i+1, w, out)
		case kwNot:
			v.condition(i, w, out)
		case kwClause:
			v.clause(i, w, out)
		case kwSelect, kwStmt, kwStmtWeak:
			if v.brokeOut && v.endComment {
				v.statementAt(i, 0.9, out)
			}
		}
	case kOp:
		switch t.op {
		case opAnd:
			v.condition(i+1, w, out)
		case opConcat:
			// || concatenates in PostgreSQL and means OR in MySQL.
			if v.brokeOut {
				v.operand(i+1, 0.85, "string concatenation", out)
			}
			v.condition(i+1, w, out)
		case opCompare:
			if v.brokeOut {
				v.operand(i+1, 0.75, "boolean condition", out)
			}
		case opArith:
			if v.brokeOut && v.kind(i+1) == kStringOpen && i+2 == n && v.sameQuote(i+1) {
				// '+' (SQL Server's concatenation), '-', '*', '&', '^'
				out.raise(0.6, "operator probe")
			} else if v.brokeOut {
				v.operand(i+1, 0.45, "arithmetic", out)
			} else if v.call(i+1) && (v.kw(i+1) == kwFuncTime || v.kw(i+1) == kwFuncRisky) {
				out.raise(0.9, "arithmetic")
			}
		case opCast:
			if v.brokeOut && v.kw(i+1) == kwType {
				s := 0.55
				if i+2 < n || v.endComment {
					s = 0.75
				}
				out.raise(s, "cast")
			}
		}
	case kSemi:
		if v.brokeOut && (i+1 >= n) {
			if v.endComment {
				out.raise(0.85, "stacked statement")
			} else {
				out.raise(0.5, "stacked statement")
			}
		}
	case kComma:
		if v.kw(i+1) == kwSelect || v.kind(i+1) == kLParen && v.kw(i+2) == kwSelect || v.call(i+1) && v.kw(i+1).isFunc() {
			out.raise(0.85, "value injection")
		}
	}
}

// operand judges the operand after an operator that follows a break-out:
// '||pg_sleep(5)||', '+(SELECT …)+', '=' then a quote.
func (v *view) operand(i int, base float64, reason string, out *verdict) {
	n := len(v.toks)
	switch {
	case i >= n:
		if v.endComment {
			out.raise(base, reason)
		}
	case v.call(i) && v.kw(i).isFunc():
		out.raise(0.95, reason)
	case v.kw(i) == kwFuncInfo || v.kw(i) == kwCatalog || v.is(i, "user"):
		// '||current_user||'
		out.raise(0.85, reason)
	case v.call(i) && v.kw(i) == kwClause: // cast(…), if(…), coalesce(…)
		out.raise(base, reason)
	case v.kind(i) == kLParen && v.kw(i+1) == kwSelect:
		out.raise(0.95, "subquery")
	case v.kind(i) == kStringOpen && v.sameQuote(i) && len(v.text(i)) <= 4:
		// '=', x' = 'y: the query's own quote closes it
		out.raise(base, reason)
	case v.isLiteral(i) || v.kind(i) == kIdent:
		// ' = 1 or '1, 'x'||'y
		for j := i + 1; j < n && j < i+4; j++ {
			if v.kw(j) == kwLogic || v.kind(j) == kOp && v.toks[j].op == opAnd {
				v.condition(j+1, 1, out)
				return
			}
		}
		if v.endComment {
			out.raise(base*0.9, reason)
		}
	case v.kw(i) == kwSelect:
		out.raise(0.9, "subquery")
	}
}

// condition judges a boolean condition starting at i (after OR/AND):
// tautologies, comparisons, calls, subqueries.
func (v *view) condition(i int, w float64, out *verdict) {
	v.conditionN(i, w, out, 3)
}

// conditionN judges up to depth conditions joined by logic words.
func (v *view) conditionN(i int, w float64, out *verdict, depth int) {
	n := len(v.toks)
	if v.kw(i) == kwNot {
		i++
	}
	for v.kind(i) == kLParen {
		i++
	}
	if i >= n {
		if v.endComment && v.brokeOut {
			out.raise(0.7*w, "boolean condition")
		}
		return
	}
	if v.prose(i) && i+1 < n {
		return // and 'a quoted phrase' …: prose
	}
	// Scan the condition up to the next logic word, semicolon or end.
	end := i
	cmp, calls, sub, idents, words, closed := -1, 0, false, 0, 0, 0
	for end < n {
		k := v.kind(end)
		if k == kSemi || v.kw(end) == kwLogic || v.kw(end) == kwUnion {
			break
		}
		switch {
		case k == kOp && v.toks[end].op == opCompare:
			if cmp < 0 {
				cmp = end
			}
		case k == kKeyword && v.kw(end) == kwClause && (v.is(end, "like") || v.is(end, "ilike") || v.is(end, "is") ||
			v.is(end, "between") || v.is(end, "in") || v.is(end, "rlike") || v.is(end, "regexp")):
			if cmp < 0 {
				cmp = end
			}
		case v.kw(end) == kwSelect && v.selectBody(end+1), v.is(end, "exists") && v.kind(end+1) == kLParen:
			sub = true
		case v.call(end) && (v.kw(end).isFunc() || v.kw(end) == kwClause):
			calls++ // a known function, or if(…), cast(…), coalesce(…)
		case k == kIdent:
			idents++
		case k == kKeyword:
			words++
		case k == kNumber, k == kString:
			closed++
		}
		end++
	}
	stop := end >= n || v.kind(end) == kSemi || v.kw(end) == kwUnion
	if end < n && v.kw(end) == kwLogic && depth > 1 {
		v.conditionN(end+1, w, out, depth-1)
	}
	switch {
	case sub:
		out.raise(0.95*w, "subquery condition")
	case cmp > i && v.tautology(i, cmp):
		out.raise(0.95*w, "tautology")
	case calls > 0 && v.kw(i).isFunc():
		out.raise(0.9*w, "function in condition")
	case cmp >= 0 && (v.isLiteral(cmp-1) && !v.prose(cmp-1) || v.isLiteral(cmp+1) && !v.prose(cmp+1) || v.kind(cmp+1) == kLParen ||
		v.is(cmp, "is") && (v.kw(cmp+1) == kwLiteral || v.kw(cmp+1) == kwNot && v.kw(cmp+2) == kwLiteral)):
		if idents+words > 4 {
			out.raise(0.4*w, "boolean condition")
		} else {
			out.raise(0.9*w, "boolean condition")
		}
	case calls > 0:
		out.raise(0.75*w, "function in condition")
	case cmp == i+1 && end == i+3 && isWord(v.kind(i)) && isWord(v.kind(i+2)):
		// 1 or name=token: two columns compared
		out.raise(0.75*w, "boolean condition")
	case v.isLiteral(i) && end == i+1 && stop && depth == 3:
		// ' or 1--, ' or 'x, 1 or true
		s := 0.85
		if !v.brokeOut && !v.parenOut && !v.inlineComment {
			s = 0.45
		}
		if v.endComment || v.kind(i) == kStringOpen {
			s += 0.1
		}
		if v.prose(i) || v.kind(i) == kStringOpen && (v.ctx == ctxDouble && v.text(i)[0] == '\'' || len(v.text(i)) == 1 && v.prose(0)) {
			// ' or 'two words' — quoted prose more than a payload;
			// "… or 'x — a quote the query's " does not close; a bare
			// quote after prose (name = 'Or', unlike admin' or ')
			s = min(s, 0.45)
		}
		out.raise(s*w, "boolean condition")
	case cmp >= 0 && v.brokeOut && idents+words <= 2:
		out.raise(0.6, "boolean condition")
	case v.brokeOut && idents+words == 0 && end > i+1 && closed > 0:
		// ' or ''-', ' or 2+2
		out.raise(0.8, "boolean condition")
	case v.brokeOut && v.endComment && idents+words <= 2:
		out.raise(0.6, "boolean condition")
	}
}

// sameQuote reports whether the open literal at i starts with the quote
// the context's closing quote would close.
func (v *view) sameQuote(i int) bool {
	c := v.text(i)[0]
	switch v.ctx {
	case ctxSingle:
		return c == '\'' || c == 'e' || c == 'E'
	case ctxDouble:
		return c == '"'
	}
	return true
}

// prose reports whether token i is a string literal with blanks in it:
// quoted prose ('in' is a word) more than a payload's constant.
func (v *view) prose(i int) bool {
	k := v.kind(i)
	return (k == kString || k == kStringOpen || k == kQIdent) && strings.IndexByte(v.text(i), ' ') >= 0
}

// tautology reports whether the comparison at cmp, whose left side
// starts at i, compares equal constants ('a'='a, 1=1, 2>1).
func (v *view) tautology(i, cmp int) bool {
	if cmp != i+1 || cmp+1 >= len(v.toks) {
		return false
	}
	l, r := v.toks[i], v.toks[cmp+1]
	if !v.isLiteral(i) || !v.isLiteral(cmp+1) {
		return v.kind(i) == kIdent && v.kind(cmp+1) == kIdent && strings.EqualFold(v.text(i), v.text(cmp+1))
	}
	return true && (l.kind == r.kind || l.kind == kString && r.kind == kStringOpen || l.kind == kStringOpen || r.kind == kStringOpen)
}

// clause judges a clause keyword right after a break-out: ' ORDER BY 3--,
// ' HAVING 1=1--, ' LIMIT 1--, ' INTO OUTFILE.
func (v *view) clause(i int, w float64, out *verdict) {
	n := len(v.toks)
	var lb [24]byte
	switch lowerWord(&lb, v.text(i)) {
	case "order", "group":
		if v.is(i+1, "by") {
			s := 0.45
			switch {
			case v.kind(i+2) == kNumber || v.call(i+2) || v.kind(i+2) == kLParen:
				s = 0.9
			case v.endComment:
				s = 0.7
			}
			for j := i + 2; j < n; j++ {
				if v.is(j, "having") {
					s = 0.9
					v.condition(j+1, w, out)
				}
			}
			if !v.brokeOut && !v.endComment && !v.inlineComment {
				s -= 0.3
			}
			out.raise(s*w, "order by probe")
		}
	case "having":
		v.condition(i+1, w, out)
	case "limit", "offset", "procedure":
		if v.is(i, "procedure") && v.is(i+1, "analyse") {
			out.raise(0.9, "clause injection")
		}
		if v.kind(i+1) == kNumber || v.is(i, "procedure") && v.call(i+1) {
			s := 0.8
			if !v.brokeOut && !v.parenOut && !v.endComment {
				s = 0.4
			}
			out.raise(s*w, "clause injection")
		}
	case "where":
		v.condition(i+1, w, out)
	case "into":
		if v.brokeOut && (v.kind(i+1) == kParam || v.is(i+1, "outfile") || v.is(i+1, "dumpfile")) {
			out.raise(0.7, "clause injection")
		}
	case "like", "ilike", "rlike", "regexp", "between", "in", "is", "collate":
		paren := v.kind(i+1) == kLParen && (v.isLiteral(i+2) || v.kw(i+2) == kwSelect)
		if v.brokeOut && !v.prose(i+1) && (v.isLiteral(i+1) || paren || v.is(i+1, "not") || v.kw(i+1) == kwLiteral) {
			out.raise(0.75, "boolean condition")
		}
	case "as":
		if v.brokeOut && v.endComment {
			out.raise(0.6, "clause injection")
		}
	case "case":
		if v.is(i+1, "when") {
			out.raise(0.8*w, "subquery condition")
		}
	case "exists":
		if v.kind(i+1) == kLParen {
			out.raise(0.8*w, "subquery condition")
		}
	}
}
