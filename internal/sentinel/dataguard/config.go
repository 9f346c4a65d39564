package dataguard

import (
	"time"

	"github.com/magflock/mobo/internal/sentinel/agentconfig"
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
	p := agentconfig.Check(ErrInvalidConfig)
	agentconfig.NonNegative(p, "warmup", c.Warmup)
	agentconfig.NonNegative(p, "min_rows", c.MinRows)
	agentconfig.NonNegative(p, "min_bytes", c.MinBytes)
	agentconfig.NonNegative(p, "total_warmup", c.TotalWarmup)
	agentconfig.NonNegative(p, "total_min_rows", c.TotalMinRows)
	agentconfig.NonNegative(p, "total_min_bytes", c.TotalMinBytes)
	agentconfig.NonNegative(p, "cap_rows", c.CapRows)
	agentconfig.NonNegative(p, "cap_bytes", c.CapBytes)
	agentconfig.NonNegative(p, "max_actors", c.MaxActors)
	agentconfig.NonNegative(p, "total_window", c.TotalWindow)
	agentconfig.NonNegative(p, "memory", c.Memory)
	agentconfig.FactorAtLeastOne(p, "factor", c.Factor)
	agentconfig.NonNegative(p, "deviations", c.Deviations)
	agentconfig.IntervalAtLeastSecond(p, "total_window", c.TotalWindow)
	for _, a := range c.APIs {
		if a == "" {
			p.Addf("apis holds an empty name")
		}
	}
	return p.Err()
}

func (c Config) withDefaults() Config {
	agentconfig.Default(&c.Warmup, 20)
	agentconfig.Default(&c.Factor, 10)
	agentconfig.Default(&c.Deviations, 4)
	agentconfig.Default(&c.MinRows, 1000)
	agentconfig.Default(&c.MinBytes, 1<<20)
	agentconfig.Default(&c.TotalWindow, 10*time.Minute)
	agentconfig.Default(&c.TotalWarmup, 3)
	agentconfig.Default(&c.TotalMinRows, 2000)
	agentconfig.Default(&c.TotalMinBytes, 8<<20)
	agentconfig.Default(&c.CapRows, 100_000)
	agentconfig.Default(&c.CapBytes, 256<<20)
	agentconfig.DefaultList(&c.APIs, DefaultAPIs)
	agentconfig.Default(&c.Memory, 24*time.Hour)
	agentconfig.Default(&c.MaxActors, 1<<16)
	return c
}
