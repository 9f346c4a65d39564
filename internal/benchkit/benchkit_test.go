package benchkit

import (
	"fmt"
	"strings"
	"testing"
)

func TestLogBuffer(t *testing.T) {
	t.Parallel()
	var l LogBuffer
	for i := range 5 {
		level := "INFO"
		if i%2 == 1 {
			level = "ERROR"
		}
		fmt.Fprintf(&l, "line %d %s\n", i, level)
	}
	tests := []struct {
		name, got, want string
	}{
		{"tail 2", l.Tail(2), "line 3 ERROR\nline 4 INFO"},
		{"tail more than written", l.Tail(10), strings.TrimRight(l.String(), "\n")},
		{"grep tail 1", l.GrepTail("ERROR", 1), "line 3 ERROR"},
		{"grep tail all", l.GrepTail("ERROR", 10), "line 1 ERROR\nline 3 ERROR"},
		{"grep tail none", l.GrepTail("WARN", 10), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestLogBufferBounded(t *testing.T) {
	t.Parallel()
	var l LogBuffer
	chunk := []byte(strings.Repeat("x", 1<<20) + "\n")
	for range 12 {
		if n, err := l.Write(chunk); err != nil || n != len(chunk) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(chunk))
		}
	}
	if n := len(l.String()); n > logLimit+len(chunk) {
		t.Errorf("kept %d bytes, want at most %d", n, logLimit+len(chunk))
	}
}
