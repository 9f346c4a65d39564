package xssguard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// heldOutBar is the bar the hand-written files, which the rules were not
// fitted to one by one, must clear: detection ≥ 97 %, false positives
// < 0.5 %.
var heldOutBar = inspecttest.Bar{MinDetection: 0.97, MaxFalsePositives: 0.005}

// TestHeldOut measures the hand-written files against the bar.
func TestHeldOut(t *testing.T) {
	t.Parallel()
	var g Guard
	inspecttest.HeldOut(t, g.Inspect, "testdata/heldout_xss.txt", "testdata/heldout_benign.txt", heldOutBar)
}

// TestHeldOutEncoded wraps every hand-written value in the encodings a
// value travels in (query and path escaping, double escaping, numeric
// references, JSON escapes, upper case): detection and false positives
// must hold under each.
func TestHeldOutEncoded(t *testing.T) {
	t.Parallel()
	var g Guard
	attacks := inspecttest.ReadLines(t, "testdata/heldout_xss.txt", "# ")
	benign := inspecttest.ReadLines(t, "testdata/heldout_benign.txt", "# ")
	encodings := inspecttest.Encodings()
	encodings["refs"] = func(s string) string {
		var b strings.Builder
		for _, c := range s {
			if strings.ContainsRune("<>\"'", c) {
				fmt.Fprintf(&b, "&#x%x;", c)
			} else {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	encodings["json"] = strings.NewReplacer("<", "\\u003c", ">", "\\u003e", "\"", "\\\"", "&", "\\u0026").Replace
	inspecttest.Encoded(t, g.Inspect, attacks, benign, encodings, heldOutBar)
}
