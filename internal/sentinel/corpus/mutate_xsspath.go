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

// percentSome percent-encodes the bytes of s that are in set.
func percentSome(s, set string, upper bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) >= 0 {
			if upper {
				fmt.Fprintf(&b, "%%%02X", s[i])
			} else {
				fmt.Fprintf(&b, "%%%02x", s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// percentAll percent-encodes every byte of s.
func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}

// entityEncode writes the bytes of s in set as numeric character
// references, in one of the forms browsers accept.
func entityEncode(r *rand.Rand, s, set string) string {
	form := r.IntN(4)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if set != "" && strings.IndexByte(set, c) < 0 {
			b.WriteByte(c)
			continue
		}
		switch form {
		case 0:
			fmt.Fprintf(&b, "&#%d;", c)
		case 1:
			fmt.Fprintf(&b, "&#x%x;", c)
		case 2:
			fmt.Fprintf(&b, "&#%07d", c)
		default:
			fmt.Fprintf(&b, "&#X%02X;", c)
		}
	}
	return b.String()
}

// named replaces markup characters by named references.
func named(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;", "(", "&lpar;", ")", "&rpar;", ":", "&colon;").Replace(s)
}

// jsEscape writes the bytes of s in set as \xXX or \uXXXX escapes.
func jsEscape(r *rand.Rand, s, set string) string {
	u := r.IntN(2) == 0
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(set, c) < 0 {
			b.WriteByte(c)
			continue
		}
		if u {
			fmt.Fprintf(&b, "\\u%04x", c)
		} else {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	return b.String()
}

// overlong writes the bytes of s in set as overlong two-byte UTF-8,
// percent-encoded (%c0%bc for '<').
func overlong(s, set string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(set, c) < 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%c%d%%%02x", c>>6, 0x80|c&0x3f)
	}
	return b.String()
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
