package pathguard

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/corpus"
)

func TestDevTune(t *testing.T) {
	var g Guard
	r := rand.New(rand.NewPCG(1, 1))
	miss, fp := 0, 0
	att := corpus.Traversal(r, 5000)
	ben := corpus.BenignPaths(r, 5000)
	seen := map[string]bool{}
	for _, s := range att {
		if !g.Inspect(s.Value).Found() {
			miss++
			if !seen[s.Value] && miss < 40 {
				t.Logf("miss %q", s.Value)
			}
			seen[s.Value] = true
		}
	}
	for _, s := range ben {
		if f := g.Inspect(s.Value); f.Found() {
			fp++
			if !seen[s.Value] {
				t.Logf("fp %s %q", f.Reason, s.Value)
			}
			seen[s.Value] = true
		}
	}
	t.Logf("miss %d fp %d", miss, fp)
}

func TestDevLines(t *testing.T) {
	var g Guard
	for _, f := range []string{"/tmp/mdlines.txt", "/tmp/gocomments.txt", "/tmp/relpaths.txt", "/tmp/htmllines.txt"} {
		data, _ := os.ReadFile(f)
		lines := strings.Split(string(data), "\n")
		n := 0
		for _, l := range lines {
			if fd := g.Inspect(l); fd.Found() {
				n++
				if n < 400 {
					t.Logf("%s | %.150q", fd.Reason, l)
				}
			}
		}
		t.Logf("%s: %d/%d", f, n, len(lines))
	}
}
