//go:build race

package pathguard

// raceEnabled: the race detector makes sync.Pool drop buffers at random,
// so the slow path's allocation count is not checked under it.
const raceEnabled = true
