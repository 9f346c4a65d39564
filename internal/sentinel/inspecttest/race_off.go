//go:build !race

package inspecttest

// RaceEnabled reports whether the race detector is on.
const RaceEnabled = false
