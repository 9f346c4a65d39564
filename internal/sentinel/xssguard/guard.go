package xssguard

import (
	"bytes"
	"sync"

	"github.com/magflock/mobo/internal/sentinel/decode"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/valueguard"
)

// Name is the agent name every [event.Finding] of this package carries.
const Name = "xssguard"

// Label is the attack label of this package's findings.
const Label = "xss"

// DefaultMaxLen is the number of bytes inspected when [Config.MaxLen] is 0.
const DefaultMaxLen = valueguard.DefaultMaxLen

// Config tunes a [Guard]. The zero value is the documented default: the
// guard is enabled and inspects the first [DefaultMaxLen] bytes of each
// value.
type Config struct {
	// Disabled turns the guard off: Inspect then finds nothing.
	Disabled bool `toml:"disabled"`
	// MaxLen is how many bytes of a value are inspected; the rest is not
	// looked at (Stats counts such values as Truncated). 0 means
	// DefaultMaxLen.
	MaxLen int `toml:"max_len"`
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	return valueguard.CheckMaxLen(Name, c.MaxLen)
}

// Stats are a Guard's counters since it was made.
type Stats = valueguard.Stats

// Guard finds script injection in values. The zero Guard is ready to use
// with the zero [Config]; its methods are safe for concurrent use.
type Guard struct {
	cfg    Config
	counts valueguard.Counters
}

var _ event.Inspector = (*Guard)(nil)

// New returns a Guard with cfg; cfg should have passed Validate (a
// negative MaxLen is taken as the default).
func New(cfg Config) *Guard {
	return &Guard{cfg: cfg}
}

// Name returns the agent name, "xssguard".
func (g *Guard) Name() string { return Name }

// Stats returns a snapshot of the counters.
func (g *Guard) Stats() Stats { return g.counts.Stats() }

// Inspect reports whether value carries script injection. It never
// panics and does not allocate for values without markup or encoding
// characters.
func (g *Guard) Inspect(value string) event.Finding {
	if g.cfg.Disabled {
		return event.Finding{}
	}
	value = g.counts.Head(value, g.cfg.MaxLen)
	if !suspicious(value) {
		return event.Finding{}
	}
	g.counts.Decoded()
	reason, score := detect(value)
	if reason == "" {
		return event.Finding{}
	}
	g.counts.Flagged()
	return event.Finding{Agent: Name, Label: Label, Reason: reason, Score: score, Scope: "ip"}
}

// triggers marks the bytes without which a value cannot carry markup,
// a script URL, an attribute break-out or an encoding of one of those.
var triggers = func() (t [256]bool) {
	for _, c := range []byte("<>&%\\:={(`+\x00") {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// suspicious is the prefilter: false means the value cannot be an attack.
func suspicious(s string) bool {
	for i := 0; i < len(s); i++ {
		if triggers[s[i]] {
			return true
		}
	}
	return false
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// detect decodes value in bounded passes and scans the result.
func detect(value string) (string, float64) {
	bp := bufPool.Get().(*[]byte)
	bp2 := bufPool.Get().(*[]byte)
	defer func() {
		bufPool.Put(bp)
		bufPool.Put(bp2)
	}()
	a, form := decodeValue(bp, bp2, value, true)
	if r, sc := scan(a); r != "" {
		return r, sc
	}
	if form {
		// The '+' of a form-encoded value may also be a literal plus
		// ("%22+alert(1)+%22" concatenates): look again for markup
		// and string break-outs only.
		a, _ = decodeValue(bp, bp2, value, false)
		if r, sc := scanTags(a); r != "" {
			return r, sc
		}
		if r, sc := scanBreakout(a); r != "" {
			return r, sc
		}
		if bytes.Contains(a, []byte("'+document.cookie")) || bytes.Contains(a, []byte("\"+document.cookie")) {
			return "cookie theft", scoreJS
		}
	}
	return "", 0
}

// decodeValue lowers value and decodes it in at most maxPasses passes, in
// the buffers of bp and bp2 (which it updates); with plus, a pass over
// form-encoded text reads '+' as a space, and form reports whether one
// did.
func decodeValue(bp, bp2 *[]byte, value string, plus bool) (out []byte, form bool) {
	a := decode.LowerInto((*bp)[:0], value)
	b := (*bp2)[:0]
	for range maxPasses {
		if !special.Any(a) {
			break
		}
		plusSpace := plus && formEncoded(a)
		form = form || plusSpace
		var changed bool
		b, changed = decodePass(b[:0], a, plusSpace)
		if !changed {
			break
		}
		a, b = b, a
	}
	// Keep the grown buffers for the pool; a and b are the two of them.
	*bp, *bp2 = a[:0], b[:0]
	return a, form
}
