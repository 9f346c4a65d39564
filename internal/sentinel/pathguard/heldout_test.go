package pathguard

import (
	"testing"

	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// heldOutBar is the bar the hand-written files, which the rules were not
// fitted to one by one, must clear: detection ≥ 95 %, false positives
// < 0.5 %.
var heldOutBar = inspecttest.Bar{MinDetection: 0.95, MaxFalsePositives: 0.005}

func heldOut(t *testing.T) (attacks, benign []string) {
	t.Helper()
	return inspecttest.ReadLines(t, "testdata/heldout_traversal.txt", "# "),
		inspecttest.ReadLines(t, "testdata/heldout_benign.txt", "# ")
}

// TestHeldOut measures the hand-written files against the bar.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	var g Guard
	attacks, benign := heldOut(t)
	s := inspecttest.Measure(t, "held-out", g.Inspect, attacks, benign, -1)
	t.Logf("held-out: %s", s)
	heldOutBar.Check(t, "held-out", s)
}

// TestHeldOutEncoded wraps every hand-written value in the encodings a
// value travels in (query and path escaping, double escaping, upper
// case): detection and false positives must hold under each.
func TestHeldOutEncoded(t *testing.T) {
	t.Parallel()
	var g Guard
	attacks, benign := heldOut(t)
	inspecttest.Encoded(t, g.Inspect, attacks, benign, inspecttest.Encodings(), heldOutBar)
}
