//go:build !race

package xssguard

const raceEnabled = false
