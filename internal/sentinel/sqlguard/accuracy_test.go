package sqlguard

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/corpus"
	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// The bar a held-out corpus must clear.
const (
	minDetection   = 0.985 // of all SQL injection
	minDetectionPG = 0.95  // of PostgreSQL-specific SQL injection
	maxFalsePos    = 0.005 // of benign values
)

// evalSeed is the corpus seed measured here; the shipped model was
// trained on TrainSeed, a different one.
const evalSeed = 20260101

// rates measures g over samples.
type rates struct {
	attacks, detected     int
	pg, pgDetected        int
	benign, falsePositive int
	missed, flagged       []string
}

func measure(g *Guard, samples []corpus.Sample) rates {
	var r rates
	for _, s := range samples {
		hit := g.Inspect(s.Value).Found()
		switch s.Label {
		case corpus.LabelBenign:
			r.benign++
			if hit {
				r.falsePositive++
				r.flagged = append(r.flagged, s.Value)
			}
		case corpus.LabelSQLi, corpus.LabelSQLiPG:
			r.attacks++
			if s.Label == corpus.LabelSQLiPG {
				r.pg++
			}
			if hit {
				r.detected++
				if s.Label == corpus.LabelSQLiPG {
					r.pgDetected++
				}
			} else {
				r.missed = append(r.missed, s.Label+" "+s.Value)
			}
		}
	}
	return r
}

func (r rates) check(t *testing.T) {
	t.Helper()
	det := float64(r.detected) / float64(max(r.attacks, 1))
	detPG := float64(r.pgDetected) / float64(max(r.pg, 1))
	fp := float64(r.falsePositive) / float64(max(r.benign, 1))
	t.Logf("detection %.4f (%d/%d), PostgreSQL-specific %.4f (%d/%d), false positives %.4f (%d/%d)",
		det, r.detected, r.attacks, detPG, r.pgDetected, r.pg, fp, r.falsePositive, r.benign)
	for i, m := range r.missed {
		if i == 40 {
			break
		}
		t.Logf("missed: %q", m)
	}
	for i, f := range r.flagged {
		if i == 40 {
			break
		}
		t.Logf("false positive: %q", f)
	}
	if det < minDetection {
		t.Errorf("detection %.4f < %.4f", det, minDetection)
	}
	if detPG < minDetectionPG {
		t.Errorf("PostgreSQL-specific detection %.4f < %.4f", detPG, minDetectionPG)
	}
	if fp >= maxFalsePos {
		t.Errorf("false positives %.4f >= %.4f", fp, maxFalsePos)
	}
}

func newTestGuard(t testing.TB) *Guard {
	t.Helper()
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAccuracyUnseenSeed measures the guard on a generated corpus whose
// seed neither the rules' tuning nor the model's training saw.
func TestAccuracyUnseenSeed(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(evalSeed, 2))
	samples := append(corpus.SQLi(r, 10000), corpus.Benign(r, 10000)...)
	measure(newTestGuard(t), samples).check(t)
}

// TestAccuracyHeldOut measures the guard on hand-written payloads and
// benign values that the generator did not produce.
func TestAccuracyHeldOut(t *testing.T) {
	t.Parallel()
	samples := readHeldOut(t, "testdata/heldout_sqli.txt", true)
	samples = append(samples, readHeldOut(t, "testdata/heldout_benign.txt", false)...)
	measure(newTestGuard(t), samples).check(t)
}

// readHeldOut reads a held-out file: "label<TAB>value" lines when
// labelled, else one benign value per line; // lines are comments.
func readHeldOut(t testing.TB, path string, labelled bool) []corpus.Sample {
	t.Helper()
	var out []corpus.Sample
	for _, line := range inspecttest.ReadLines(t, path, "//") {
		if !labelled {
			out = append(out, corpus.Sample{Value: line, Label: corpus.LabelBenign})
			continue
		}
		label, value, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: no tab in %q", path, line)
		}
		out = append(out, corpus.Sample{Value: value, Label: label})
	}
	return out
}
