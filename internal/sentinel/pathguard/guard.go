package pathguard

import (
	"fmt"
	"strings"
	"sync"

	"github.com/magflock/mobo/internal/sentinel/decode"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/valueguard"
)

// Name is the agent name every [event.Finding] of this package carries.
const Name = "pathguard"

// Label is the attack label of this package's findings.
const Label = "traversal"

// DefaultMaxLen is the number of bytes inspected when [Config.MaxLen] is 0.
const DefaultMaxLen = valueguard.DefaultMaxLen

// Config tunes a [Guard]. The zero value is the documented default: the
// guard is enabled and inspects the first [DefaultMaxLen] bytes of each
// value.
type Config struct {
	// Disabled turns the guard off: Inspect then finds nothing.
	Disabled bool `toml:"disabled"`
	// AllowedHosts are the hosts an absolute redirect URL may name
	// (InspectRedirect); empty means absolute URLs are not judged by host,
	// only by form.
	AllowedHosts []string `toml:"allowed_hosts"`
	// MaxLen is how many bytes of a value are inspected; the rest is not
	// looked at (Stats counts such values as Truncated). 0 means
	// DefaultMaxLen.
	MaxLen int `toml:"max_len"`
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if err := valueguard.CheckMaxLen(Name, c.MaxLen); err != nil {
		return err
	}
	for i, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/\\@: ") {
			return fmt.Errorf("pathguard: allowed_hosts[%d] %q is not a host name", i, h)
		}
	}
	return nil
}

// Stats are a Guard's counters since it was made.
type Stats = valueguard.Stats

// Guard finds path traversal in values. The zero Guard is ready to use
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

// Name returns the agent name, "pathguard".
func (g *Guard) Name() string { return Name }

// Stats returns a snapshot of the counters.
func (g *Guard) Stats() Stats { return g.counts.Stats() }

// Inspect reports whether value, meant for a file path or a storage
// key, climbs out of its directory or names a sensitive file. It never
// panics and does not allocate for values without separators, dot
// pairs or encodings.
func (g *Guard) Inspect(value string) event.Finding {
	return g.inspect(value, false)
}

// InspectRedirect is Inspect for a value that will be a redirect target
// (a redirect_to parameter): it also reports the open-redirect forms
// (//evil.com, /\evil.com, https:evil.com, an absolute URL to a host
// not in AllowedHosts).
func (g *Guard) InspectRedirect(value string) event.Finding {
	return g.inspect(value, true)
}

func (g *Guard) inspect(value string, redirect bool) event.Finding {
	if g.cfg.Disabled {
		return event.Finding{}
	}
	value = g.counts.Head(value, g.cfg.MaxLen)
	if !suspicious(value) && !redirect {
		return event.Finding{}
	}
	g.counts.Decoded()
	reason, score := detect(value, redirect, g.cfg.AllowedHosts)
	if reason == "" {
		return event.Finding{}
	}
	g.counts.Flagged()
	return event.Finding{Agent: Name, Label: Label, Reason: reason, Score: score, Scope: "ip"}
}

// triggers marks the bytes without which a value cannot climb a
// directory, be absolute or hide either in an encoding; a dot counts
// only when doubled, a 0 only before an x (0x2e).
var triggers = func() (t [256]bool) {
	for _, c := range []byte("/\\%:&~\x00") {
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
		if triggers[s[i]] || i+1 < len(s) && (s[i] == '.' && s[i+1] == '.' || s[i] == '0' && s[i+1] == 'x') {
			return true
		}
	}
	return false
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// detect decodes value in bounded passes and scans the result.
func detect(value string, redirect bool, hosts []string) (string, float64) {
	bp := bufPool.Get().(*[]byte)
	a := (*bp)[:0]
	bp2 := bufPool.Get().(*[]byte)
	b := (*bp2)[:0]
	defer func() {
		*bp, *bp2 = a[:0], b[:0]
		bufPool.Put(bp)
		bufPool.Put(bp2)
	}()
	a = decode.LowerInto(a, value)
	var how decoded
	for range maxPasses {
		if !special.Any(a) {
			break
		}
		var d decoded
		b, d = decodePass(b[:0], a)
		if d == 0 {
			break
		}
		a, b = b, a
		how |= d
	}
	if redirect {
		if r, sc := scanRedirect(a, hosts); r != "" {
			return r, sc
		}
	}
	return scan(a, how)
}
