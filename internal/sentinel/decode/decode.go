// Package decode holds the byte-level pieces the sentinel's value agents
// (sqlguard, xssguard, pathguard) decode attack encodings with: hex
// digits and escapes, ASCII lowering and the byte sets that tell a
// decoding pass where it may start.
//
// Each agent keeps its own decoding pass: which escapes it undoes, and
// what a decoded character becomes, differ with what the agent looks
// for (xssguard reads JavaScript escapes and named references,
// pathguard only those that make a separator and reports which encoding
// it undid, sqlguard does IIS's stray '%'), and a pass with options
// would branch in the loop every value goes through. The pieces here
// are small enough to inline; nothing here allocates or keeps state.
package decode

import "unicode/utf8"

// Unhex returns the value of the hex digit c (either case), and
// whether c is one; the value means nothing when it is not.
func Unhex(c byte) (byte, bool) {
	v := hexValue[c]
	return v, v < 16
}

// HexByte reads the two hex digits after s[i] (the '%' of %XX): the
// byte they spell, and whether both are there and are hex (the byte
// means nothing when they are not).
func HexByte(s []byte, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	h, l := hexValue[s[i+1]], hexValue[s[i+2]]
	return h<<4 | l, h|l < 16
}

// hexValue maps a hex digit to its value and any other byte to 0xFF: a
// table keeps Unhex and HexByte cheap enough to inline in the passes.
var hexValue = func() (t [256]byte) {
	for c := range t {
		switch {
		case '0' <= c && c <= '9':
			t[c] = byte(c - '0')
		case 'a' <= c && c <= 'f':
			t[c] = byte(c-'a') + 10
		case 'A' <= c && c <= 'F':
			t[c] = byte(c-'A') + 10
		default:
			t[c] = 0xFF
		}
	}
	return t
}()

// HexRun reads up to maxDigits hex digits of s from i; it returns their
// value and how many it read. A caller that needs exactly n digits
// checks the count: r, k := HexRun(s, i, 4); k == 4.
func HexRun(s []byte, i, maxDigits int) (rune, int) {
	var v rune
	n := 0
	for i+n < len(s) && n < maxDigits {
		d, ok := Unhex(s[i+n])
		if !ok {
			break
		}
		v = v<<4 | rune(d)
		n++
	}
	return v, n
}

// LowerInto appends s to dst with ASCII letters lowered.
func LowerInto(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// LowerASCII maps an ASCII code to its lowercase byte.
var LowerASCII = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// Set is a set of bytes, looked up by index: the bytes where a decoding
// may start, or without which a value cannot be an attack.
type Set [256]bool

// NewSet returns the set of the bytes of chars.
func NewSet(chars string) Set {
	var t Set
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// Any reports whether s holds a byte of the set.
func (t *Set) Any(s []byte) bool {
	for _, c := range s {
		if t[c] {
			return true
		}
	}
	return false
}
