package xssguard

import (
	"bytes"
	"unicode/utf8"

	"github.com/magflock/mobo/internal/sentinel/decode"
)

// maxPasses bounds the decoding: a value encoded more deeply than this
// is scanned as it is after maxPasses rounds (six covers double URL
// encoding of an entity of a JavaScript escape, twice over; each pass is
// linear and runs only while the previous one changed something).
const maxPasses = 6

// appendRune appends r lowered, as ASCII when it is ASCII (NUL is
// dropped: browsers and many back ends ignore it inside markup) and as
// UTF-8 otherwise.
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r == 0:
		return dst
	case r > 0 && r < 0x80:
		return append(dst, decode.LowerASCII[r])
	case r <= utf8.MaxRune:
		return utf8.AppendRune(dst, r)
	}
	return append(dst, '?')
}

// entities are the named character references attackers use to hide
// markup and script URLs; semi says whether the name needs its ';'.
var entities = map[string]rune{
	"lt": '<', "gt": '>', "quot": '"', "apos": '\'', "amp": '&',
	"colon": ':', "tab": '\t', "newline": '\n', "sol": '/', "bsol": '\\',
	"lpar": '(', "rpar": ')', "equals": '=', "grave": '`', "semi": ';',
	"comma": ',', "period": '.', "excl": '!', "num": '#', "lcub": '{',
	"rcub": '}', "lsqb": '[', "rsqb": ']', "lbrack": '[', "rbrack": ']',
	"nbsp": ' ', "plus": '+', "percnt": '%', "dollar": '$', "ast": '*',
	"quest": '?', "commat": '@', "hyphen": '-', "dash": '-', "verbar": '|',
	"lowbar": '_', "circ": '^',
}

// legacy are the references browsers decode without a ';'.
var legacy = map[string]bool{"lt": true, "gt": true, "quot": true, "amp": true, "nbsp": true}

// utf7 are the UTF-7 forms of the markup characters (lowered).
var utf7 = [...]struct {
	enc string
	c   byte
}{{"+adw-", '<'}, {"+ad4-", '>'}, {"+aci-", '"'}, {"+acc-", '\''}, {"+adw", '<'}, {"+ad4", '>'}}

// special marks the bytes where a decoding may start: a pass could
// change only a value with one of them.
var special = decode.NewSet("%&\\+/\x00\xc0\xc1\xc2\xe0\xef")

// decodePass appends one round of decoding of s (already lowered) to
// dst ('+' as a space when plusSpace): percent escapes (%XX and %uXXXX), HTML character references,
// JavaScript escapes (\xXX, \uXXXX, \u{X}), UTF-7 markup, overlong
// UTF-8 and full-width ASCII forms, and C comments (/*…*/) dropped. NUL
// bytes are dropped. It reports whether anything changed.
func decodePass(dst, s []byte, plusSpace bool) ([]byte, bool) {
	changed := false
	for i := 0; i < len(s); {
		c := s[i]
		if !special[c] {
			// Copy the run of plain bytes at once.
			j := i + 1
			for j < len(s) && !special[s[j]] {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		switch c {
		case 0:
			changed = true
			i++
			continue
		case '%':
			if i+2 < len(s) {
				if v, ok := decode.HexByte(s, i); ok {
					if v < 0x80 {
						dst = appendRune(dst, rune(v))
					} else {
						dst = append(dst, v) // a raw byte: overlong forms are handled next pass
					}
					i += 3
					changed = true
					continue
				}
				if s[i+1] == 'u' {
					if r, n := decode.HexRun(s, i+2, 4); n == 4 {
						dst = appendRune(dst, r)
						i += 6
						changed = true
						continue
					}
				}
			}
		case '&':
			if r, n := entity(s[i+1:]); n > 0 {
				dst = appendRune(dst, r)
				i += 1 + n
				changed = true
				continue
			}
		case '\\':
			if i+1 < len(s) {
				switch s[i+1] {
				case '0':
					if i+2 >= len(s) || s[i+2] < '0' || s[i+2] > '9' {
						i += 2 // \0, a NUL in a JavaScript string: dropped
						changed = true
						continue
					}
				case 'x':
					if r, n := decode.HexRun(s, i+2, 2); n == 2 {
						dst = appendRune(dst, r)
						i += 4
						changed = true
						continue
					}
				case 'u':
					if i+2 < len(s) && s[i+2] == '{' {
						if r, n := decode.HexRun(s, i+3, 6); n > 0 && i+3+n < len(s) && s[i+3+n] == '}' {
							dst = appendRune(dst, r)
							i += 4 + n
							changed = true
							continue
						}
					}
					if r, n := decode.HexRun(s, i+2, 4); n == 4 {
						dst = appendRune(dst, r)
						i += 6
						changed = true
						continue
					}
				}
			}
		case '+':
			if plusSpace {
				dst = append(dst, ' ')
				i++
				changed = true
				continue
			}
			if i+3 < len(s) && s[i+1] == 'a' {
				if c, n := utf7At(s[i:]); n > 0 {
					dst = append(dst, c)
					i += n
					changed = true
					continue
				}
			}
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				if end := indexComment(s[i+2:]); end >= 0 {
					i += 2 + end + 2
					changed = true
					continue
				}
			}
		case 0xC0, 0xC1:
			// Overlong two-byte form of an ASCII character.
			if i+1 < len(s) {
				dst = appendRune(dst, rune(c&0x1F)<<6|rune(s[i+1]&0x3F))
				i += 2
				changed = true
				continue
			}
		case 0xC2:
			// ¼script¾: US-ASCII readers drop the high bit of 0xBC, 0xBE, 0xA2.
			if i+1 < len(s) && (s[i+1] == 0xBC || s[i+1] == 0xBE) {
				dst = append(dst, s[i+1]&0x7F)
				i += 2
				changed = true
				continue
			}
		case 0xE0:
			// Overlong three-byte form of an ASCII character.
			if i+2 < len(s) && s[i+1]&0xE0 == 0x80 {
				if r := rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); r < 0x80 {
					dst = appendRune(dst, r)
					i += 3
					changed = true
					continue
				}
			}
		case 0xEF:
			// Full-width forms U+FF01..U+FF5E are ASCII shifted by 0xFEE0
			// (＜script＞ under NFKC normalisation).
			if i+2 < len(s) && (s[i+1] == 0xBC || s[i+1] == 0xBD) {
				r := rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F) | 0xF000
				if r >= 0xFF01 && r <= 0xFF5E {
					dst = appendRune(dst, r-0xFEE0)
					i += 3
					changed = true
					continue
				}
			}
		}
		dst = append(dst, c)
		i++
	}
	return dst, changed
}

// formEncoded reports a value that looks form-encoded (a
// query string or a form body inside the value): percent escapes and
// '+' but no space; its '+' then stand for spaces.
func formEncoded(s []byte) bool {
	if bytes.IndexByte(s, ' ') >= 0 || bytes.IndexByte(s, '+') < 0 {
		return false
	}
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' {
			if _, ok := decode.HexByte(s, i); ok {
				return true
			}
		}
	}
	return false
}

// indexComment returns where "*/" starts in s within a bound, or -1.
func indexComment(s []byte) int {
	for j := 0; j+1 < len(s) && j < 256; j++ {
		if s[j] == '*' && s[j+1] == '/' {
			return j
		}
	}
	return -1
}

func utf7At(s []byte) (byte, int) {
	for _, u := range utf7 {
		if len(s) >= len(u.enc) && string(s[:len(u.enc)]) == u.enc {
			return u.c, len(u.enc)
		}
	}
	return 0, 0
}

// entity decodes the character reference after an '&' at the start of
// s; n is how many bytes of s it used (0: none).
func entity(s []byte) (rune, int) {
	if len(s) == 0 {
		return 0, 0
	}
	if s[0] == '#' {
		var r rune
		var n int
		if len(s) > 1 && s[1] == 'x' {
			r, n = decode.HexRun(s, 2, 8)
			if n == 0 {
				return 0, 0
			}
			n += 2
		} else {
			for n = 1; n < len(s) && n < 12 && '0' <= s[n] && s[n] <= '9'; n++ {
				if r <= 0x10FFFF {
					r = r*10 + rune(s[n]-'0')
				}
			}
			if n == 1 {
				return 0, 0
			}
		}
		if n < len(s) && s[n] == ';' {
			n++
		}
		if r > 0x10FFFF || r < 0 {
			r = 0xFFFD
		}
		return r, n
	}
	n := 0
	for n < len(s) && n < 10 && 'a' <= s[n] && s[n] <= 'z' {
		n++
	}
	if n == 0 {
		return 0, 0
	}
	name := s[:n]
	r, ok := entities[string(name)]
	if !ok {
		return 0, 0
	}
	if n < len(s) && s[n] == ';' {
		return r, n + 1
	}
	if legacy[string(name)] {
		return r, n
	}
	return 0, 0
}
