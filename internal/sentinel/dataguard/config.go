package dataguard

import (
	"errors"
	"fmt"
	"time"
)

// DefaultAPIs are the APIs whose reads are judged when [Config.APIs] is
// empty. Storage is left out: a file's size says nothing about
// exfiltration, and one video would break any byte baseline.
var DefaultAPIs = []string{"rest", "graphql"}

// Config sets DataGuard's thresholds. The zero value of each field means
// its documented default; negative values are invalid.
type Config struct {
	// Warmup reads of a route by an actor are learned before that
	// actor's reads of that route are judged. Default 20.
	Warmup int `toml:"warmup"`
	// Factor is how many times its usual size a read must be to count,
	// and Deviations how many of the baseline's mean absolute deviations
	// (in log units) above it: both must hold. Default 10 and 4.
	Factor     float64 `toml:"factor"`
	Deviations float64 `toml:"deviations"`
	// MinRows and MinBytes: a read smaller than both is never judged, so
	// 200 rows where 5 are usual is not exfiltration. Default 1000 rows
	// and 1 MiB.
	MinRows  int64 `toml:"min_rows"`
	MinBytes int64 `toml:"min_bytes"`

	// TotalWindow is the span an actor's reads are summed over (to catch
	// many pages, each of a normal size). Default 10m.
	TotalWindow time.Duration `toml:"total_window"`
	// TotalWarmup windows with reads are learned before an actor's total
	// is judged against its own history. Default 3.
	TotalWarmup int `toml:"total_warmup"`
	// TotalMinRows and TotalMinBytes: a total smaller than both is never
	// judged against history. Default 2000 rows and 8 MiB.
	TotalMinRows  int64 `toml:"total_min_rows"`
	TotalMinBytes int64 `toml:"total_min_bytes"`
	// CapRows and CapBytes within TotalWindow are exfiltration whatever
	// the actor's history, so that a new actor draining a table is caught
	// before any baseline exists. Default 100000 rows and 256 MiB.
	CapRows  int64 `toml:"cap_rows"`
	CapBytes int64 `toml:"cap_bytes"`

	// APIs are the APIs whose reads are judged. Default [DefaultAPIs].
	APIs []string `toml:"apis"`
	// Memory is how long an idle actor's baselines are kept. Default 24h.
	Memory time.Duration `toml:"memory"`
	// MaxActors bounds the actors remembered, and 4× it the actor-route
	// pairs. Default 65536.
	MaxActors int `toml:"max_actors"`
}

// Validate reports every problem in c, each wrapping [ErrInvalidConfig].
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"warmup", int64(c.Warmup)},
		{"min_rows", c.MinRows},
		{"min_bytes", c.MinBytes},
		{"total_warmup", int64(c.TotalWarmup)},
		{"total_min_rows", c.TotalMinRows},
		{"total_min_bytes", c.TotalMinBytes},
		{"cap_rows", c.CapRows},
		{"cap_bytes", c.CapBytes},
		{"max_actors", int64(c.MaxActors)},
		{"total_window", int64(c.TotalWindow)},
		{"memory", int64(c.Memory)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is negative, want 0 (the default) or more", ErrInvalidConfig, f.name))
		}
	}
	if c.Factor != 0 && c.Factor < 1 {
		errs = append(errs, fmt.Errorf("%w: factor is %v, want 0 (the default) or at least 1", ErrInvalidConfig, c.Factor))
	}
	if c.Deviations < 0 {
		errs = append(errs, fmt.Errorf("%w: deviations is %v, want 0 (the default) or more", ErrInvalidConfig, c.Deviations))
	}
	if c.TotalWindow != 0 && c.TotalWindow < time.Second {
		errs = append(errs, fmt.Errorf("%w: total_window is %v, want at least 1s", ErrInvalidConfig, c.TotalWindow))
	}
	for _, a := range c.APIs {
		if a == "" {
			errs = append(errs, fmt.Errorf("%w: apis holds an empty name", ErrInvalidConfig))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	set := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Warmup == 0 {
		c.Warmup = 20
	}
	if c.Factor == 0 {
		c.Factor = 10
	}
	if c.Deviations == 0 {
		c.Deviations = 4
	}
	set(&c.MinRows, 1000)
	set(&c.MinBytes, 1<<20)
	if c.TotalWindow == 0 {
		c.TotalWindow = 10 * time.Minute
	}
	if c.TotalWarmup == 0 {
		c.TotalWarmup = 3
	}
	set(&c.TotalMinRows, 2000)
	set(&c.TotalMinBytes, 8<<20)
	set(&c.CapRows, 100_000)
	set(&c.CapBytes, 256<<20)
	if len(c.APIs) == 0 {
		c.APIs = DefaultAPIs
	}
	if c.Memory == 0 {
		c.Memory = 24 * time.Hour
	}
	if c.MaxActors == 0 {
		c.MaxActors = 1 << 16
	}
	return c
}
