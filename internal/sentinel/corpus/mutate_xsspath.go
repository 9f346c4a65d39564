package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// randomCase flips the case of letters at random (JaVaScRiPt).
func randomCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && r.IntN(2) == 0 {
			b[i] = c - 'a' + 'A'
		} else if 'A' <= c && c <= 'Z' && r.IntN(2) == 0 {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// encodeBytes returns s with each byte in set (every byte when set is
// empty) written by enc instead.
func encodeBytes(s, set string, enc func(b *strings.Builder, c byte)) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if set != "" && strings.IndexByte(set, c) < 0 {
			b.WriteByte(c)
			continue
		}
		enc(&b, c)
	}
	return b.String()
}

// percentSome percent-encodes the bytes of s that are in set.
func percentSome(s, set string, upper bool) string {
	format := "%%%02x"
	if upper {
		format = "%%%02X"
	}
	return encodeBytes(s, set, func(b *strings.Builder, c byte) { fmt.Fprintf(b, format, c) })
}

// percentAll percent-encodes every byte of s.
func percentAll(s string) string {
	return encodeBytes(s, "", func(b *strings.Builder, c byte) { fmt.Fprintf(b, "%%%02x", c) })
}

// entityEncode writes the bytes of s in set (every byte when set is
// empty) as numeric character references, in one of the forms browsers
// accept.
func entityEncode(r *rand.Rand, s, set string) string {
	format := [...]string{"&#%d;", "&#x%x;", "&#%07d", "&#X%02X;"}[r.IntN(4)]
	return encodeBytes(s, set, func(b *strings.Builder, c byte) { fmt.Fprintf(b, format, c) })
}

// named replaces markup characters by named references.
func named(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;", "(", "&lpar;", ")", "&rpar;", ":", "&colon;").Replace(s)
}

// jsEscape writes the bytes of s in set as \xXX or \uXXXX escapes.
func jsEscape(r *rand.Rand, s, set string) string {
	format := "\\x%02x"
	if r.IntN(2) == 0 {
		format = "\\u%04x"
	}
	return encodeBytes(s, set, func(b *strings.Builder, c byte) { fmt.Fprintf(b, format, c) })
}

// overlong writes the bytes of s in set as overlong two-byte UTF-8,
// percent-encoded (%c0%bc for '<').
func overlong(s, set string) string {
	return encodeBytes(s, set, func(b *strings.Builder, c byte) { fmt.Fprintf(b, "%%c%d%%%02x", c>>6, 0x80|c&0x3f) })
}

// fullWidth writes the bytes of s in set as their full-width forms.
func fullWidth(s, set string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 0x80 && strings.ContainsRune(set, c) {
			b.WriteRune(c + 0xFEE0)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// expand returns template t with each %c replaced by fill(c), "%%" by
// "%", and any other %c, or a '%' at the end, as written. fill makes its
// random choices as expand meets the verbs, left to right.
func expand(t string, fill func(verb byte) (string, bool)) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '%' || i+1 == len(t) {
			b.WriteByte(t[i])
			continue
		}
		i++
		if t[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if s, ok := fill(t[i]); ok {
			b.WriteString(s)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(t[i])
	}
	return b.String()
}
