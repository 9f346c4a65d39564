//go:build !race

package pathguard

const raceEnabled = false
