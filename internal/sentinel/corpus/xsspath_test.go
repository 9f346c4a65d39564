package corpus

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestXSSPathGenerators checks that each generator is deterministic in
// its seed, returns n samples with its label, and varies its output.
func TestXSSPathGenerators(t *testing.T) {
	t.Parallel()
	gens := []struct {
		name  string
		label string
		gen   func(*rand.Rand, int) []Sample
	}{
		{"XSS", "xss", XSS},
		{"Traversal", "traversal", Traversal},
		{"BenignMarkup", "benign", BenignMarkup},
		{"BenignPaths", "benign", BenignPaths},
	}
	for _, g := range gens {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			a := g.gen(rand.New(rand.NewPCG(1, 2)), 500)
			b := g.gen(rand.New(rand.NewPCG(1, 2)), 500)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("not deterministic (-first +second):\n%s", diff)
			}
			if len(a) != 500 {
				t.Fatalf("got %d samples, want 500", len(a))
			}
			distinct := map[string]bool{}
			for _, s := range a {
				if s.Label != g.label || s.Value == "" {
					t.Fatalf("bad sample %+v", s)
				}
				distinct[s.Value] = true
			}
			if len(distinct) < 100 {
				t.Errorf("only %d distinct values in 500", len(distinct))
			}
		})
	}
}
