package pathguard

import (
	"unicode/utf8"

	"github.com/magflock/mobo/internal/sentinel/decode"
)

// maxPasses bounds the decoding: a value encoded more deeply than this
// is scanned as it is after maxPasses rounds (six covers quintuple
// percent encoding with an overlong form inside; each pass is linear).
const maxPasses = 6

// decoded says which encodings a pass undid; the reason names the
// strongest.
type decoded uint8

const (
	decPercent  decoded = 1 << iota // %XX, %uXXXX, \xXX, \uXXXX, &#N;
	decOverlong                     // overlong UTF-8 (%c0%ae) or full-width and look-alike dots and slashes
)

// lookAlikes maps code points that some decoders fold to '.', '/' or
// '\\' (full-width forms, division and fraction slashes, set minus).
func lookAlike(r rune) byte {
	switch r {
	case 0xFF0E, 0x2024, 0xFE52:
		return '.'
	case 0xFF0F, 0x2215, 0x2044, 0x29F8:
		return '/'
	case 0xFF3C, 0x2216, 0x29F5, 0x29F9, 0xFE68:
		return '\\'
	}
	return 0
}

// appendRune appends r: ASCII lowered, a look-alike as its ASCII
// character, anything else as UTF-8.
func appendRune(dst []byte, r rune) ([]byte, decoded) {
	if r >= 0 && r < 0x80 {
		return append(dst, decode.LowerASCII[r]), decPercent
	}
	if c := lookAlike(r); c != 0 {
		return append(dst, c), decOverlong
	}
	if r > utf8.MaxRune || r < 0 {
		return append(dst, '?'), decPercent
	}
	return utf8.AppendRune(dst, r), decPercent
}

// special marks the bytes where a decoding may start: a pass could
// change only a value with one of them.
var special = decode.NewSet("0%&\\\xc0\xc1\xe0\xe2\xef\xf0")

// decodePass appends one round of decoding of s (already lowered) to
// dst: percent escapes (%XX, %uXXXX), the \xXX and \uXXXX escapes,
// numeric character references, overlong UTF-8 and look-alike dots and
// slashes. It reports what it undid (0: nothing changed).
func decodePass(dst, s []byte) ([]byte, decoded) {
	var how decoded
	for i := 0; i < len(s); {
		c := s[i]
		if !special[c] {
			j := i + 1
			for j < len(s) && !special[s[j]] {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		switch c {
		case '%':
			if i+2 < len(s) {
				if v, ok := decode.HexByte(s, i); ok {
					if 'A' <= v && v <= 'Z' {
						v += 'a' - 'A'
					}
					dst = append(dst, v)
					how |= decPercent
					i += 3
					continue
				}
				if s[i+1] == 'u' {
					if r, k := decode.HexRun(s, i+2, 4); k == 4 {
						var d decoded
						dst, d = appendRune(dst, r)
						how |= d
						i += 6
						continue
					}
				}
			}
		case '\\':
			if i+1 < len(s) {
				var r rune
				n := 0
				switch s[i+1] {
				case 'x':
					if v, k := decode.HexRun(s, i+2, 2); k == 2 && (v == '.' || v == '/' || v == '\\' || v == 0) {
						r, n = v, 4
					}
				case 'u':
					if v, k := decode.HexRun(s, i+2, 4); k == 4 && (v == '.' || v == '/' || v == '\\' || v == 0 || lookAlike(v) != 0) {
						r, n = v, 6
					}
				}
				if n > 0 {
					var d decoded
					dst, d = appendRune(dst, r)
					how |= d
					i += n
					continue
				}
			}
		case '0':
			// 0x2e0x2e0x2f: hex written out, as some traversal lists do.
			if i+3 < len(s) && s[i+1] == 'x' {
				if v, k := decode.HexRun(s, i+2, 2); k == 2 && (v == '.' || v == '/' || v == '\\') {
					dst = append(dst, byte(v))
					how |= decPercent
					i += 4
					continue
				}
			}
		case '&':
			if i+3 < len(s) && s[i+1] == '#' {
				if r, n := numericRef(s[i+2:]); n > 0 {
					var d decoded
					dst, d = appendRune(dst, r)
					how |= d
					i += 2 + n
					continue
				}
			}
		case 0xC0, 0xC1:
			// Overlong two-byte form of an ASCII character; decoders that
			// ignore the continuation bits read %c0%2e as '.'.
			if i+1 < len(s) {
				// The payload bits of both bytes, whatever the top bits of
				// the second say: %c0%ae, %c0%2e and %c1%9c, %c1%1c alike.
				dst, _ = appendRune(dst, rune(c&0x1F)<<6|rune(s[i+1]&0x3F))
				how |= decOverlong
				i += 2
				continue
			}
		case 0xE0:
			if i+2 < len(s) {
				if r := rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); r < 0x80 {
					dst, _ = appendRune(dst, r)
					how |= decOverlong
					i += 3
					continue
				}
			}
		case 0xF0:
			if i+3 < len(s) && s[i+1] == 0x80 {
				if r := rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F); r < 0x80 {
					dst, _ = appendRune(dst, r)
					how |= decOverlong
					i += 4
					continue
				}
			}
		case 0xE2, 0xEF:
			if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
				r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				if r == 0x2025 { // ‥, the two dot leader
					dst = append(dst, '.', '.')
					how |= decOverlong
					i += 3
					continue
				}
				if lc := lookAlike(r); lc != 0 {
					dst = append(dst, lc)
					how |= decOverlong
					i += 3
					continue
				}
			}
		}
		dst = append(dst, c)
		i++
	}
	return dst, how
}

// numericRef decodes a numeric character reference after "&#"; n is
// the bytes it used, the ';' included.
func numericRef(s []byte) (rune, int) {
	var r rune
	n := 0
	if s[0] == 'x' {
		n = 1
		for n < len(s) && n < 10 {
			d, ok := decode.Unhex(s[n])
			if !ok {
				break
			}
			if r <= 0x10FFFF {
				r = r<<4 | rune(d)
			}
			n++
		}
		if n == 1 {
			return 0, 0
		}
	} else {
		for n < len(s) && n < 10 && '0' <= s[n] && s[n] <= '9' {
			if r <= 0x10FFFF {
				r = r*10 + rune(s[n]-'0')
			}
			n++
		}
		if n == 0 {
			return 0, 0
		}
	}
	if r > 0x10FFFF {
		r = 0xFFFD
	}
	if n < len(s) && s[n] == ';' {
		n++
	}
	return r, n
}
