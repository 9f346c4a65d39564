package agentconfig

import (
	"errors"
	"testing"
	"time"
)

func TestProblems(t *testing.T) {
	t.Parallel()
	invalid := errors.New("x: invalid config")
	p := Check(invalid)
	NonNegative(p, "n", 0)
	NonNegative(p, "w", time.Duration(0))
	AtMost(p, "n", 1000, 1000)
	FactorAtLeastOne(p, "f", 0)
	IntervalAtLeastSecond(p, "i", 0)
	if err := p.Err(); err != nil {
		t.Fatalf("Err() = %v for a valid config", err)
	}
	NonNegative(p, "n", -1)
	NonNegative(p, "w", -time.Second)
	AtMost(p, "m", 1001, 1000)
	FactorAtLeastOne(p, "f", 0.5)
	IntervalAtLeastSecond(p, "i", time.Millisecond)
	p.Addf("list holds %s", "an empty name")
	err := p.Err()
	if !errors.Is(err, invalid) {
		t.Fatalf("Err() = %v, not wrapping %v", err, invalid)
	}
	want := "x: invalid config: n is -1, want 0 (the default) or more\n" +
		"x: invalid config: w is -1s, want 0 (the default) or more\n" +
		"x: invalid config: m is 1001, want at most 1000\n" +
		"x: invalid config: f is 0.5, want 0 (the default) or at least 1\n" +
		"x: invalid config: i is 1ms, want at least 1s\n" +
		"x: invalid config: list holds an empty name"
	if err.Error() != want {
		t.Errorf("Err() =\n%s\nwant\n%s", err, want)
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	n, set, d := 0, 7, time.Duration(0)
	Default(&n, 5)
	Default(&set, 5)
	Default(&d, time.Minute)
	var list []string
	DefaultList(&list, []string{"a"})
	kept := []string{"b"}
	DefaultList(&kept, []string{"a"})
	if n != 5 || set != 7 || d != time.Minute || len(list) != 1 || list[0] != "a" || kept[0] != "b" {
		t.Errorf("defaults: %v %v %v %v %v", n, set, d, list, kept)
	}
}
