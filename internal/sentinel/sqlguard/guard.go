package sqlguard

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// Name is the agent's name in its findings.
const Name = "sqlguard"

// Guard inspects values for SQL injection. It is safe for use by many
// goroutines at once; make one with [New].
type Guard struct {
	cfg   Config
	model *Model
	pool  sync.Pool

	inspected atomic.Uint64
	hits      atomic.Uint64
}

var _ event.Inspector = (*Guard)(nil)

// Stats counts what a [Guard] did since it was made.
type Stats struct {
	Inspected uint64 // values given to Inspect
	Hits      uint64 // values reported as SQL injection
}

// New returns a Guard configured by cfg (see [Config] for the zero
// value), using the model shipped with the package.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Guard{cfg: cfg.withDefaults()}
	if !cfg.NoModel {
		g.model = shippedModel()
	}
	g.pool.New = func() any { return newScratch() }
	return g, nil
}

// WithModel returns a copy of g's configuration using m as its model (nil:
// rules only); for training and evaluation.
func (g *Guard) WithModel(m *Model) *Guard {
	h := &Guard{cfg: g.cfg, model: m}
	h.pool.New = func() any { return newScratch() }
	return h
}

// Stats returns the counters.
func (g *Guard) Stats() Stats {
	return Stats{Inspected: g.inspected.Load(), Hits: g.hits.Load()}
}

// Inspect reports whether value carries SQL injection. See the package
// doc for how.
func (g *Guard) Inspect(value string) event.Finding {
	g.inspected.Add(1)
	if g.cfg.Disabled {
		return event.Finding{}
	}
	score, reason := g.inspect(value)
	if score < g.cfg.Threshold {
		return event.Finding{}
	}
	g.hits.Add(1)
	return event.Finding{Agent: Name, Label: "sqli", Reason: reason, Score: score, Scope: "ip"}
}

// inspect scores a value through the prefilter. A value longer than
// MaxLength is inspected in two pieces: its first MaxLength bytes and its
// last quarter of that (padding a value to push a payload past the
// inspected part is an old evasion).
func (g *Guard) inspect(value string) (float64, string) {
	maxLen := g.cfg.MaxLength
	if len(value) <= maxLen {
		if !suspicious(value) {
			return 0, ""
		}
		return g.score(value)
	}
	var head, tail verdict
	if v := value[:maxLen]; suspicious(v) {
		head.score, head.reason = g.score(v)
	}
	if v := value[len(value)-maxLen/4:]; suspicious(v) {
		tail.score, tail.reason = g.score(v)
	}
	head.raise(tail.score, tail.reason)
	return head.score, head.reason
}

// Score returns value's score in [0, 1] and the reason of the strongest
// evidence, without the prefilter, the threshold or the counters.
func (g *Guard) Score(value string) (float64, string) {
	if len(value) > g.cfg.MaxLength {
		value = value[:g.cfg.MaxLength]
	}
	return g.score(value)
}

func (g *Guard) score(value string) (float64, string) {
	sc := g.pool.Get().(*scratch)
	defer g.pool.Put(sc)
	sc.analyze(value)
	out := sc.verdict
	if g.model == nil || out.score >= 0.75 || out.score < 0.3 {
		// combine would keep the rules' verdict: skip the model.
		return out.score, out.reason
	}
	p := g.model.predict(sc)
	return combine(out, p, g.cfg.Threshold)
}

// scratch is one inspection's working memory, pooled.
type scratch struct {
	norm    normalizer
	raw     []tok
	sig     [numContexts][]tok
	views   [numContexts]view
	used    [numContexts]bool
	value   string // the normalized value
	decoded bool   // normalization changed the value
	verdict verdict
}

func newScratch() *scratch {
	sc := &scratch{raw: make([]tok, 0, maxTokens)}
	for i := range sc.sig {
		sc.sig[i] = make([]tok, 0, maxTokens)
	}
	return sc
}

func (sc *scratch) analyze(value string) {
	s := sc.norm.normalize(value)
	sc.value, sc.decoded = s, len(s) != len(value) || s != value
	sc.verdict = verdict{}
	if alt := sc.norm.plusAsBlank(s); alt != "" {
		sc.read(alt)
		if sc.verdict.score >= 0.9 {
			return
		}
	}
	if alt := sc.norm.joinSplitWords(s); alt != "" {
		sc.read(alt)
		if sc.verdict.score >= 0.9 {
			return
		}
	}
	sc.read(s)
}

// read analyzes s in every context, raising sc.verdict; the views of the
// last read stay for the model.
func (sc *scratch) read(s string) {
	sc.used = [numContexts]bool{}
	for _, c := range contextOrder {
		if sc.verdict.score >= 0.9 {
			return // sure already: the other readings cannot change the outcome
		}
		q := byte(0)
		switch c {
		case ctxSingle:
			q = '\''
		case ctxDouble:
			q = '"'
		case ctxDollar:
			q = '$'
		}
		switch q {
		case 0:
			sc.used[c] = true
		case '$':
			sc.used[c] = strings.Contains(s, "$$")
		default:
			sc.used[c] = strings.IndexByte(s, q) >= 0
		}
		if !sc.used[c] {
			continue
		}
		sc.raw = lex(s, q, sc.raw)
		v := &sc.views[c]
		v.build(c, s, sc.raw, sc.sig[c])
		sc.sig[c] = v.toks[:0]
		v.check(&sc.verdict)
	}
}

// contextOrder puts the reading most payloads use first, so that a sure
// verdict skips the others.
var contextOrder = [numContexts]context{ctxSingle, ctxAsIs, ctxDouble, ctxDollar}

// suspicious is the prefilter: most benign values (names, numbers,
// emails, ids, plain words) have none of SQL's punctuation and no
// statement keyword, and leave here.
func suspicious(s string) bool {
	for i := 0; i < len(s); i++ {
		switch byteClass[s[i]] {
		case 0:
		case 1:
			return true
		default: // interesting when doubled or followed: -- /* :: @@ !=
			if i+1 < len(s) && s[i+1] == byteNext[s[i]] {
				return true
			}
		}
	}
	return numericStart(s) || clauseStart(s) || hasStatementWord(s)
}

// clauseStart reports whether s starts with AND, OR, XOR, ORDER or GROUP
// and has more after it: a fragment appended to a query's condition.
func clauseStart(s string) bool {
	i := 0
	for i < len(s) && isIdentStart(s[i]) {
		i++
	}
	if i < 2 || i > 5 || i >= len(s) {
		return false
	}
	switch lookupWord(s[:i]) {
	case kwLogic:
		return true
	case kwClause:
		return strings.EqualFold(s[:i], "order") || strings.EqualFold(s[:i], "group")
	}
	return false
}

// byteClass sorts bytes for the prefilter: 1 always interesting, 2
// interesting when followed by byteNext.
var byteClass, byteNext = func() (c, next [256]byte) {
	for _, b := range []byte("'\"`;()=<>|#%&\\$+~^") {
		c[b] = 1
	}
	for b := range 256 {
		if b < ' ' || b >= 0x80 {
			c[b] = 1
		}
	}
	for _, p := range []string{"--", "/*", "::", "@@", "!="} {
		c[p[0]], next[p[0]] = 2, p[1]
	}
	return c, next
}()

// numericStart reports whether s starts like a number an attacker
// extends (1 or 2>1, -1 order by 3, (1) and …) and has more after it.
func numericStart(s string) bool {
	i := 0
	for i < len(s) && (s[i] == '(' || s[i] == '-' || s[i] == ' ') {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i < len(s) && (isIdentStart(s[i]) || s[i] == '-' || s[i] == ':') {
		return false // 550e8400-…, 3rd, 2024-…, 10:30
	}
	for i < len(s) {
		if isIdentStart(s[i]) {
			return true
		}
		i++
	}
	return false
}

// hasStatementWord reports whether s has a word like UNION, SELECT or DROP.
func hasStatementWord(s string) bool {
	for i := 0; i < len(s); {
		if !isIdentStart(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isIdentCont(s[j]) {
			j++
		}
		if n := j - i; n >= 4 && n <= 8 {
			switch lookupWord(s[i:j]) {
			case kwUnion, kwSelect, kwStmt:
				return true
			}
		}
		i = j
	}
	return false
}
