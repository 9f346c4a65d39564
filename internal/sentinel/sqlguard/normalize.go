package sqlguard

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/magflock/mobo/internal/sentinel/decode"
)

// maxDecodeRounds bounds URL decoding: a value encoded three times over
// is decoded three times, not more (each round at least shrinks it).
const maxDecodeRounds = 3

// normalizer undoes the encodings an attacker hides SQL behind before the
// value reaches the lexer: URL encoding (also double, %uXXXX and the IIS
// habit of dropping a stray %), HTML character references, Unicode blanks
// and full-width forms, and + for a blank in values without any blank.
// It reuses its buffers; the string it returns lives until the next call.
type normalizer struct {
	a, b, c []byte
}

// normalize returns s decoded, or s itself when nothing needed decoding.
func (n *normalizer) normalize(s string) string {
	if !needsDecoding(s) {
		return s
	}
	cur := s
	use := 0
	for range maxDecodeRounds {
		if strings.IndexByte(cur, '%') < 0 {
			break
		}
		buf := n.buf(use)
		// A + in encoded text is a blank, as in a form; a + that this
		// round's decoding makes (%2B) is a plus.
		out, changed := percentDecode(buf[:0], cur)
		if !changed {
			break
		}
		n.keep(use, out)
		cur = bytesString(out)
		use ^= 1
	}
	if strings.IndexByte(cur, '&') >= 0 {
		buf := n.buf(use)
		if out, changed := entityDecode(buf[:0], cur); changed {
			n.keep(use, out)
			cur = bytesString(out)
			use ^= 1
		}
	}
	if hasHighByte(cur) {
		buf := n.buf(use)
		if out, changed := unicodeFold(buf[:0], cur); changed {
			n.keep(use, out)
			cur = bytesString(out)
		}
	}
	return cur
}

// joinSplitWords returns s without the comments that sit inside a word
// (S/**/E/**/LECT, UN/*x*/ION), or "" when it has none. Such comments
// only ever hide keywords from filters. The buffer is normalize's third.
func (n *normalizer) joinSplitWords(s string) string {
	if !strings.Contains(s, "/*") {
		return ""
	}
	n.c = n.c[:0]
	found := false
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && i+1 < len(s) && s[i+1] == '*' && i > 0 && isIdentCont(s[i-1]) {
			// Skip a run of comments (S/**//*x*/ELECT) glued to a word
			// on both sides.
			j := i
			for j+1 < len(s) && s[j] == '/' && s[j+1] == '*' {
				end := strings.Index(s[j+2:], "*/")
				if end < 0 {
					break
				}
				j += 2 + end + 2
			}
			if j > i && j < len(s) && isIdentCont(s[j]) {
				found = true
				i = j - 1
				continue
			}
		}
		n.c = append(n.c, s[i])
	}
	if !found {
		return ""
	}
	return bytesString(n.c)
}

// plusAsBlank returns s with + for blanks when s has a + and no blank
// (1'+or+1=1--), or "" when that reading does not apply. The buffer it
// uses is separate from normalize's.
func (n *normalizer) plusAsBlank(s string) string {
	if strings.IndexByte(s, '+') < 0 || hasBlank(s) {
		return ""
	}
	n.c = append(n.c[:0], s...)
	for i := range n.c {
		if n.c[i] == '+' {
			n.c[i] = ' '
		}
	}
	return bytesString(n.c)
}

func (n *normalizer) buf(i int) []byte {
	if i == 0 {
		return n.a
	}
	return n.b
}

func (n *normalizer) keep(i int, b []byte) {
	if i == 0 {
		n.a = b
	} else {
		n.b = b
	}
}

// bytesString views b as a string without copying. The normalizer's
// buffers are not written again until the next value, and the string
// does not outlive the inspection.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) //nolint:gosec // see the doc comment: the buffer outlives every use of the string
}

func needsDecoding(s string) bool {
	for i := range len(s) {
		if decodeByte[s[i]] {
			return true
		}
	}
	return false
}

// decodeByte marks the bytes that start something normalize undoes.
var decodeByte = func() (t [256]bool) {
	t['%'], t['&'] = true, true
	for b := 0x80; b < 0x100; b++ {
		t[b] = true
	}
	return t
}()

func hasHighByte(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func hasBlank(s string) bool {
	for i := range len(s) {
		if isSpace(s[i]) {
			return true
		}
	}
	return false
}

func percentDecode(dst []byte, s string) ([]byte, bool) {
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' {
			dst = append(dst, ' ')
			continue
		}
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		if i+2 < len(s) {
			h, ok1 := decode.Unhex(s[i+1])
			l, ok2 := decode.Unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, h<<4|l)
				i += 2
				changed = true
				continue
			}
		}
		if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			var r rune
			ok := true
			for k := 2; k < 6; k++ {
				v, okk := decode.Unhex(s[i+k])
				ok = ok && okk
				r = r<<4 | rune(v)
			}
			if ok {
				dst = utf8.AppendRune(dst, r)
				i += 5
				changed = true
				continue
			}
		}
		// IIS drops a % before a byte that does not start an escape
		// (%S%E%L%E%C%T); do the same when a letter follows.
		if i+1 < len(s) && isIdentStart(s[i+1]) && s[i+1] < 0x80 {
			changed = true
			continue
		}
		dst = append(dst, c)
	}
	return dst, changed
}

var entities = [...]struct {
	name string
	c    byte
}{{"quot;", '"'}, {"apos;", '\''}, {"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"num;", '#'}, {"lpar;", '('}, {"rpar;", ')'}, {"semi;", ';'}, {"comma;", ','}, {"equals;", '='}}

func entityDecode(dst []byte, s string) ([]byte, bool) {
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '&' || i+2 >= len(s) {
			dst = append(dst, c)
			continue
		}
		if s[i+1] == '#' {
			j := i + 2
			base := rune(10)
			if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
				base = 16
				j++
			}
			var r rune
			k := j
			for k < len(s) && k-j < 7 {
				v, ok := decode.Unhex(s[k])
				if !ok || base == 10 && v > 9 {
					break
				}
				r = r*base + rune(v)
				k++
			}
			if k > j && r > 0 && r <= utf8.MaxRune {
				if k < len(s) && s[k] == ';' {
					k++
				}
				dst = utf8.AppendRune(dst, r)
				i = k - 1
				changed = true
				continue
			}
			dst = append(dst, c)
			continue
		}
		matched := false
		for _, e := range entities {
			if strings.HasPrefix(s[i+1:], e.name) {
				dst = append(dst, e.c)
				i += len(e.name)
				matched, changed = true, true
				break
			}
		}
		if !matched {
			dst = append(dst, c)
		}
	}
	return dst, changed
}

// unicodeFold maps Unicode blanks to a space and full-width ASCII
// (U+FF01…U+FF5E, which some stacks fold to ASCII) to ASCII. Curly quotes
// stay: PostgreSQL does not read them as quotes and prose is full of them.
func unicodeFold(dst []byte, s string) ([]byte, bool) {
	changed := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			switch {
			case c == 0xA0 || c == 0x85:
				// Latin-1's NBSP and NEL, sent raw (MySQL blanks)
				dst = append(dst, ' ')
				changed = true
				i++
				continue
			case (c == 0xC0 || c == 0xC1) && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] < 0xC0:
				// An overlong encoding of ASCII (%C0%A7 for ')
				dst = append(dst, (c&1)<<6|s[i+1]&0x3F)
				changed = true
				i += 2
				continue
			}
		}
		switch {
		case r == 0xAD, r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
			// Invisible: a soft hyphen or zero-width character splitting
			// a keyword (SEL\u200bECT) goes.
			changed = true
		case r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029,
			r == 0x202F, r == 0x205F, r == 0x3000, r == 0x180E, r == 0x85:
			dst = append(dst, ' ')
			changed = true
		case r >= 0xFF01 && r <= 0xFF5E:
			dst = append(dst, byte(r-0xFF01+0x21))
			changed = true
		case r == 0x2BC || r == 0x2B9: // modifier letter apostrophe/prime, homoglyphs of '
			dst = append(dst, '\'')
			changed = true
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst, changed
}
