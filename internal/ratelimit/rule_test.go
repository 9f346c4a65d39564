package ratelimit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		want     Rule
		interval time.Duration
	}{
		{"100/s", Rule{Rate: 100, Burst: 100}, 10 * time.Millisecond},
		{"1000/min burst 50", Rule{Rate: 1000.0 / 60, Burst: 50}, 60 * time.Millisecond},
		{"10/h", Rule{Rate: 10.0 / 3600, Burst: 10}, 6 * time.Minute},
		{"1/d", Rule{Rate: 1.0 / 86400, Burst: 1}, 24 * time.Hour},
		{"5/15m", Rule{Rate: 5.0 / 900, Burst: 5}, 3 * time.Minute},
		{"1/500ms burst 3", Rule{Rate: 2, Burst: 3}, 500 * time.Millisecond},
		{"  30 / Minute  BURST 5 ", Rule{Rate: 0.5, Burst: 5}, 2 * time.Second},
		{"3/s", Rule{Rate: 3, Burst: 3}, 333333333},
		{"7/seconds", Rule{Rate: 7, Burst: 7}, 142857143},
		{"1000000000/s", Rule{Rate: 1e9, Burst: 1000000000}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRule(tt.in)
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRule(%q) (-want +got):\n%s", tt.in, diff)
			}
			if iv := time.Duration(got.interval()); iv != tt.interval {
				t.Errorf("interval = %v, want %v", iv, tt.interval)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "empty rule"},
		{"   ", "empty rule"},
		{"100", "want <count>/<period>"},
		{"/s", "count is missing"},
		{"0/s", `count "0" must be between 1`},
		{"-1/s", `count "-1" is not a whole number`},
		{"1.5/s", `count "1.5" is not a whole number`},
		{"+5/s", `count "+5" is not a whole number`},
		{"99999999999999999999/s", "must be between 1"},
		{"100/fortnight", `unknown period "fortnight"`},
		{"100/", `unknown period ""`},
		{"100/0s", `period "0s" is not a positive duration`},
		{"100/10x", `period "10x" is not a positive duration`},
		{"100/-1s", `unknown period "-1s"`},
		{"100/s burst", `want "burst <n>" at the end`},
		{"100/s burst 5 6", `want "burst <n>" at the end`},
		{"100/s burst 0", `burst "0" must be between 1`},
		{"100/s burst x", `burst "x" is not a whole number`},
		{"2000/1us", "more than one token per nanosecond"},
		{"1/1000000h burst 1000", "takes longer than"},
		{"100/s/s", `unknown period "s/s"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRule(tt.in)
			if err == nil {
				t.Fatalf("ParseRule(%q) = nil error, want one containing %q", tt.in, tt.want)
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("ParseRule(%q) = %v, does not wrap ErrInvalidRule", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRule(%q) = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	t.Parallel()
	for _, r := range []Rule{
		{},
		{Rate: 1},
		{Rate: -1, Burst: 1},
		{Rate: 2e9, Burst: 1},
		{Rate: 1, Burst: maxCount + 1},
		{Rate: 1e-12, Burst: 10},
	} {
		if err := r.Validate(); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%#v.Validate() = %v, want ErrInvalidRule", r, err)
		}
	}
}

func TestRuleString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"100/s", "100/s"},
		{"60/min", "60/min"},
		{"1000/min burst 50", "1000/min burst 50"},
		{"10/h", "10/h"},
		{"2/d", "2/d"},
		{"1/s burst 60", "60/min"}, // the same rule
		{"1/s burst 30", "1/s burst 30"},
		{"7/10s", "42/min burst 7"},
		{"1/7s", "1/7s"},
		{"3/7s burst 2", "1/2.333333333s burst 2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRule(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRuleText(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Login Rule `json:"login"`
	}
	if err := json.Unmarshal([]byte(`{"login":"1000/min burst 50"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if want := (Rule{Rate: 1000.0 / 60, Burst: 50}); cfg.Login != want {
		t.Errorf("decoded %#v, want %#v", cfg.Login, want)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"login":"1000/min burst 50"}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
	if err := json.Unmarshal([]byte(`{"login":"lots"}`), &cfg); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("decoding a bad rule = %v, want ErrInvalidRule", err)
	}
	if _, err := (Rule{}).MarshalText(); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("encoding the zero rule = %v, want ErrInvalidRule", err)
	}
}

// FuzzParseRule checks that no input panics, every accepted rule is valid,
// and its String form parses back to the same bucket.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"100/s", "1000/min burst 50", "10/h", "5/15m", "1/500ms burst 3", "3/7s", "", "burst", "1/1ns", "1e3/s", "100/s burst 99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("ParseRule(%q) = %v, not wrapping ErrInvalidRule", s, err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRule(%q) = %#v, which is invalid: %v", s, r, err)
		}
		text := r.String()
		back, err := ParseRule(text)
		if err != nil {
			t.Fatalf("ParseRule(%q).String() = %q, which does not parse: %v", s, text, err)
		}
		// Rate is a float64: past ~58 days per token the interval carries
		// more than 53 bits and the text form can be off by a few ns.
		if diff := back.interval() - r.interval(); back.Burst != r.Burst || max(diff, -diff) > 1+r.interval()>>48 {
			t.Fatalf("round trip %q → %q: interval %d burst %d, want %d and %d", s, text, back.interval(), back.Burst, r.interval(), r.Burst)
		}
	})
}
