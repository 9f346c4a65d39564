// Package inspecttest measures the sentinel's value agents (each an
// [event.Inspector]): it reads hand-written held-out files, scores an
// inspector on attack and benign values against a bar, wraps values in
// the encodings they travel in and checks that the fast path does not
// allocate.
//
// The agents' Inspect benchmarks keep their own loops, calling Inspect
// directly: a shared loop must call through an interface or a func
// value, and the plain mix (some 50 ns a value) is where such a cost
// would show, so its figures would no longer compare with earlier runs.
package inspecttest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/magflock/mobo/internal/sentinel/corpus"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/valueguard"
)

// Inspect is what is measured: an inspector's Inspect method.
type Inspect func(value string) event.Finding

// ReadLines reads a hand-written file: one value per line, blank lines
// and comment lines skipped. A comment line starts with comment ("# ",
// "//"), or is comment without its trailing blank ("#").
func ReadLines(t testing.TB, path, comment string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bare := strings.TrimRight(comment, " ")
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, comment) || line == bare {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return out
}

// Values returns the values of samples.
func Values(samples []corpus.Sample) []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = s.Value
	}
	return out
}

// Score is how an inspector fared on labelled values.
type Score struct {
	Attacks, Missed        int
	Benign, FalsePositives int
}

// Detection is the share of attacks found.
func (s Score) Detection() float64 { return 1 - float64(s.Missed)/float64(max(s.Attacks, 1)) }

// FalsePositiveRate is the share of benign values flagged.
func (s Score) FalsePositiveRate() float64 {
	return float64(s.FalsePositives) / float64(max(s.Benign, 1))
}

func (s Score) String() string {
	return fmt.Sprintf("detection %.2f%% (%d/%d), false positives %.3f%% (%d/%d)",
		100*s.Detection(), s.Attacks-s.Missed, s.Attacks, 100*s.FalsePositiveRate(), s.FalsePositives, s.Benign)
}

// Bar is what a Score must clear: detection at least MinDetection, false
// positives under MaxFalsePositives.
type Bar struct {
	MinDetection, MaxFalsePositives float64
}

// Check fails t, naming what, when s is below the bar.
func (b Bar) Check(t testing.TB, what string, s Score) {
	t.Helper()
	if s.Detection() < b.MinDetection || s.FalsePositiveRate() >= b.MaxFalsePositives {
		t.Errorf("%s: below the bar: %s; want detection ≥ %.2f%%, false positives < %.2f%%",
			what, s, 100*b.MinDetection, 100*b.MaxFalsePositives)
	}
}

// Measure inspects every attack and benign value and returns the score,
// logging through t the first logMax misses and false positives (all
// when logMax < 0), each prefixed by what.
func Measure(t testing.TB, what string, inspect Inspect, attacks, benign []string, logMax int) Score {
	t.Helper()
	s := Score{Attacks: len(attacks), Benign: len(benign)}
	for _, v := range attacks {
		if !inspect(v).Found() {
			if logMax < 0 || s.Missed < logMax {
				t.Logf("%s: missed %q", what, v)
			}
			s.Missed++
		}
	}
	for _, v := range benign {
		if f := inspect(v); f.Found() {
			if logMax < 0 || s.FalsePositives < logMax {
				t.Logf("%s: false positive (%s) %q", what, f.Reason, v)
			}
			s.FalsePositives++
		}
	}
	return s
}

// Encodings are the forms a value commonly travels in: upper case,
// query and path escaping, and query escaping twice.
func Encodings() map[string]func(string) string {
	return map[string]func(string) string{
		"upper":  strings.ToUpper,
		"query":  url.QueryEscape,
		"path":   url.PathEscape,
		"double": func(s string) string { return url.QueryEscape(url.QueryEscape(s)) },
	}
}

// Encoded measures inspect on attacks and benign values wrapped in each
// encoding, checking each against bar.
func Encoded(t testing.TB, inspect Inspect, attacks, benign []string, encodings map[string]func(string) string, bar Bar) {
	t.Helper()
	for name, enc := range encodings {
		bar.Check(t, name, Measure(t, name, inspect, apply(enc, attacks), apply(enc, benign), -1))
	}
}

func apply(enc func(string) string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = enc(v)
	}
	return out
}

// NoAllocs fails t when inspecting any of values allocates. The race
// detector makes sync.Pool drop buffers at random, so under it nothing
// is checked.
func NoAllocs(t *testing.T, inspect Inspect, values ...string) {
	t.Helper()
	if RaceEnabled {
		return
	}
	for _, v := range values {
		if n := testing.AllocsPerRun(100, func() { inspect(v) }); n != 0 {
			t.Errorf("Inspect(%q) allocated %v times", v, n)
		}
	}
}

// CheckReason fails t unless inspecting value gives reason ("" for
// nothing found) in a well-formed finding: by agent, labelled label,
// scoped to the address, scored in (0, 1].
func CheckReason(t testing.TB, inspect Inspect, agent, label, value, reason string) {
	t.Helper()
	f := inspect(value)
	if f.Reason != reason {
		t.Errorf("Inspect(%q) reason = %q, want %q", value, f.Reason, reason)
		return
	}
	if f.Found() && (f.Agent != agent || f.Label != label || f.Scope != "ip" || f.Score <= 0 || f.Score > 1) {
		t.Errorf("Inspect(%q) = %+v: malformed finding", value, f)
	}
}

// HeldOut reads the hand-written attack and benign files (comment lines
// start with "# "), measures inspect on them, logs the score and checks
// it against bar.
func HeldOut(t testing.TB, inspect Inspect, attackFile, benignFile string, bar Bar) {
	t.Helper()
	attacks := ReadLines(t, attackFile, "# ")
	benign := ReadLines(t, benignFile, "# ")
	s := Measure(t, "held-out", inspect, attacks, benign, -1)
	t.Logf("held-out: %s", s)
	bar.Check(t, "held-out", s)
}

// CheckLimits checks what a value guard's Config promises, given an
// attack value: disabled (a guard made with Disabled) finds nothing;
// limited (one made with MaxLen 64) misses the attack pushed past its
// first 64 bytes and finds it within them; and stats, limited's
// counters, then say 3 inspected, 1 flagged, 1 decoded, 1 truncated.
func CheckLimits(t testing.TB, attack string, disabled, limited Inspect, stats func() valueguard.Stats) {
	t.Helper()
	if f := disabled(attack); f.Found() {
		t.Errorf("a disabled guard found %+v", f)
	}
	if f := limited(strings.Repeat("a", 100) + attack); f.Found() {
		t.Errorf("found %+v past MaxLen", f)
	}
	if f := limited(attack); !f.Found() {
		t.Error("missed an attack within MaxLen")
	}
	limited("hello")
	want := valueguard.Stats{Inspected: 3, Flagged: 1, Decoded: 1, Truncated: 1}
	if got := stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

// Fuzz is the body of a value agent's fuzz target: inspecting v must not
// panic, a finding must be well formed (by agent, scored in (0, 1], with
// a reason) and no reason may come without one; a value that is not
// valid UTF-8 is inspected again as cleaned UTF-8.
func Fuzz(t *testing.T, inspect Inspect, agent, v string) {
	t.Helper()
	fd := inspect(v)
	if fd.Found() && (fd.Score <= 0 || fd.Score > 1 || fd.Reason == "" || fd.Agent != agent) {
		t.Fatalf("malformed finding %+v", fd)
	}
	if !fd.Found() && fd.Reason != "" {
		t.Fatalf("reason %q without a label", fd.Reason)
	}
	if !utf8.ValidString(v) {
		inspect(string([]rune(v)))
	}
}
