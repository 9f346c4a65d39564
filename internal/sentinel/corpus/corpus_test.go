package corpus

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	gen := func(seed uint64) []Sample {
		r := rand.New(rand.NewPCG(seed, 1))
		return append(SQLi(r, 500), Benign(r, 500)...)
	}
	if diff := cmp.Diff(gen(7), gen(7)); diff != "" {
		t.Errorf("same seed, different corpus (-first +second):\n%s", diff)
	}
	if cmp.Equal(gen(7), gen(8)) {
		t.Error("different seeds gave the same corpus")
	}
}

func TestLabelsAndCounts(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	sqli, benign := SQLi(r, 2000), Benign(r, 2000)
	if len(sqli) != 2000 || len(benign) != 2000 {
		t.Fatalf("got %d sqli, %d benign samples, want 2000 each", len(sqli), len(benign))
	}
	labels := map[string]int{}
	for _, s := range append(sqli, benign...) {
		if s.Value == "" {
			t.Errorf("empty value labelled %q", s.Label)
		}
		labels[s.Label]++
	}
	if labels[LabelSQLi] == 0 || labels[LabelSQLiPG] == 0 || labels[LabelBenign] != 2000 || len(labels) != 3 {
		t.Errorf("labels = %v", labels)
	}
	distinct := map[string]bool{}
	for _, s := range sqli {
		distinct[s.Value] = true
	}
	if len(distinct) < 1500 {
		t.Errorf("only %d distinct attacks in 2000", len(distinct))
	}
}
