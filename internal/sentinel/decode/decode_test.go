package decode

import (
	"strconv"
	"testing"
)

func TestHex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s  string
		i  int
		b  byte
		ok bool
	}{
		{"%41", 0, 0x41, true},
		{"%4", 0, 0, false},
		{"%zz", 0, 0, false},
		{"%z1", 0, 0, false},
		{"x%aF", 1, 0xaf, true},
		{"%", 0, 0, false},
	} {
		if b, ok := HexByte([]byte(tt.s), tt.i); ok != tt.ok || ok && b != tt.b {
			t.Errorf("HexByte(%q, %d) = %#x, %v; want %#x, %v", tt.s, tt.i, b, ok, tt.b, tt.ok)
		}
	}
	for _, tt := range []struct {
		s      string
		i, max int
		r      rune
		n      int
	}{
		{"u00e9", 1, 4, 0xe9, 4},
		{"u00", 1, 4, 0, 2},
		{"{10FFFF}", 1, 6, 0x10ffff, 6},
		{"FFFFFFFFF", 0, 8, -1, 8},
		{"g", 0, 4, 0, 0},
		{"", 0, 4, 0, 0},
	} {
		if r, n := HexRun([]byte(tt.s), tt.i, tt.max); r != tt.r || n != tt.n {
			t.Errorf("HexRun(%q, %d, %d) = %#x, %d; want %#x, %d", tt.s, tt.i, tt.max, r, n, tt.r, tt.n)
		}
	}
}

func TestLower(t *testing.T) {
	t.Parallel()
	if got := string(LowerInto([]byte("x:"), "AbZ\xc0é")); got != "x:abz\xc0é" {
		t.Errorf("LowerInto = %q", got)
	}
	for c := range len(LowerASCII) {
		want := byte(c)
		if 'A' <= c && c <= 'Z' {
			want += 32
		}
		if LowerASCII[c] != want {
			t.Errorf("LowerASCII[%#x] = %#x", c, LowerASCII[c])
		}
	}
	s := NewSet("%&\xc0")
	for _, tt := range []struct {
		v    string
		want bool
	}{{"", false}, {"abc", false}, {"a%", true}, {"\xc0", true}, {"\xc1", false}} {
		if got := s.Any([]byte(tt.v)); got != tt.want {
			t.Errorf("Any(%q) = %v", tt.v, got)
		}
	}
}

// FuzzHexRun checks HexRun and HexByte against strconv.
func FuzzHexRun(f *testing.F) {
	for _, s := range []string{"", "0", "fF", "12345678", "%2e", "%g1", "zz"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, maxDigits int) {
		maxDigits = min(max(maxDigits, 0), 7) // a rune holds 7 digits without overflow
		r, n := HexRun([]byte(s), 0, maxDigits)
		if n > maxDigits || n > len(s) {
			t.Fatalf("HexRun(%q, 0, %d) read %d digits", s, maxDigits, n)
		}
		if n > 0 {
			v, err := strconv.ParseUint(s[:n], 16, 32)
			if err != nil || rune(v) != r {
				t.Fatalf("HexRun(%q, 0, %d) = %#x, %d; strconv: %#x, %v", s, maxDigits, r, n, v, err)
			}
		}
		if n < maxDigits && n < len(s) {
			if _, ok := Unhex(s[n]); ok {
				t.Fatalf("HexRun(%q, 0, %d) stopped at the digit %q", s, maxDigits, s[n])
			}
		}
		if b, ok := HexByte([]byte(s), 0); ok {
			v, err := strconv.ParseUint(s[1:3], 16, 8)
			if err != nil || byte(v) != b {
				t.Fatalf("HexByte(%q, 0) = %#x; strconv: %#x, %v", s, b, v, err)
			}
		}
	})
}
