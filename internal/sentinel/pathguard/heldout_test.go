package pathguard

import (
	"testing"

	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// heldOutBar is the bar the hand-written files, which the rules were not
// fitted to one by one, must clear: detection ≥ 95 %, false positives
// < 0.5 %.
var heldOutBar = inspecttest.Bar{MinDetection: 0.95, MaxFalsePositives: 0.005}

// TestHeldOut measures the hand-written files against the bar.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	var g Guard
	inspecttest.HeldOut(t, g.Inspect, "testdata/heldout_traversal.txt", "testdata/heldout_benign.txt", heldOutBar)
}

// TestHeldOutEncoded wraps every hand-written value in the encodings a
// value travels in (query and path escaping, double escaping, upper
// case): detection and false positives must hold under each.
func TestHeldOutEncoded(t *testing.T) {
	t.Parallel()
	var g Guard
	attacks := inspecttest.ReadLines(t, "testdata/heldout_traversal.txt", "# ")
	benign := inspecttest.ReadLines(t, "testdata/heldout_benign.txt", "# ")
	inspecttest.Encoded(t, g.Inspect, attacks, benign, inspecttest.Encodings(), heldOutBar)
}
