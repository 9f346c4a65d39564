package sqlguard

import (
	"errors"
	"fmt"
)

// Config tunes a [Guard]. The zero value is the documented default: the
// guard on, threshold 0.5, values inspected up to 4096 bytes, the learned
// model used for the grey zone.
type Config struct {
	// Disabled turns the guard off: Inspect finds nothing (and still
	// counts what it was given).
	Disabled bool `toml:"disabled"`
	// Threshold is the score from which a value is reported, in (0, 1];
	// 0 means 0.5. Raising it trades detections for fewer false alarms.
	Threshold float64 `toml:"threshold"`
	// MaxLength bounds the bytes of a value that are inspected; 0 means
	// 4096. A longer value is inspected in two pieces: its first
	// MaxLength bytes and its last MaxLength/4 (a payload pushed past the
	// head by padding lands in the tail); the middle is not read.
	MaxLength int `toml:"max_length"`
	// NoModel turns the learned model off: rules only.
	NoModel bool `toml:"no_model"`
}

// Defaults applied for the zero fields of a [Config].
const (
	DefaultThreshold = 0.5
	DefaultMaxLength = 4096
	maxMaxLength     = 1 << 20
)

// ErrConfig is wrapped by the errors [Config.Validate] returns.
var ErrConfig = errors.New("sqlguard: invalid config")

// Validate reports whether c is usable.
func (c Config) Validate() error {
	if c.Threshold < 0 || c.Threshold > 1 {
		return fmt.Errorf("%w: threshold %v is not in [0, 1]", ErrConfig, c.Threshold)
	}
	if c.MaxLength < 0 || c.MaxLength > maxMaxLength {
		return fmt.Errorf("%w: max_length %d is not in [0, %d]", ErrConfig, c.MaxLength, maxMaxLength)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.MaxLength == 0 {
		c.MaxLength = DefaultMaxLength
	}
	return c
}
