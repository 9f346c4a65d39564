package pathguard

import (
	"testing"

	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// FuzzInspect checks that Inspect never panics, that a finding is well
// formed, and that the decoding is bounded (a value cannot make it
// loop: the test would time out).
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"", "<", "<script", "../", "..\\", "%2e%2e%2f", "%", "%2", "%u00", "&#", "&#x", "&#99999999999;", "\\\\", "c:", "file:", "~/",
		"\\u", "\\u{", "\\u{110000}", "\\x3", "+AD", "/*", "\xc0", "\xe0\x80", "\xef\xbc", "{{", "${",
		"javascript", "data:", "' onload=", "\x00\x00", "<a href='", "<style>\\", "<a href=//0x",
	} {
		f.Add(s)
	}
	var g Guard
	f.Fuzz(func(t *testing.T, v string) {
		fd := g.Inspect(v)
		if r := g.InspectRedirect(v); fd.Found() && !r.Found() {
			t.Fatalf("InspectRedirect missed what Inspect found: %+v", fd)
		}
		inspecttest.Fuzz(t, g.Inspect, Name, v)
	})
}
