package apiwatch

import (
	"strings"
	"time"

	"github.com/magflock/mobo/internal/sentinel/agentconfig"
)

// DefaultBadAgents are the User-Agent words of attack tools, used when
// [Config.BadAgents] is empty. A word matches a whole word of the
// User-Agent, case-insensitively ("nmap" matches "Nmap Scripting Engine",
// not "unmapped"); a phrase with spaces matches anywhere. General HTTP
// clients (curl, python-requests, Go-http-client, node-fetch, axios,
// okhttp, supabase-js) are not attack tools and are absent on purpose.
var DefaultBadAgents = []string{
	"sqlmap", "nikto", "nmap", "masscan", "zgrab", "gobuster", "dirbuster", "dirb", "wfuzz",
	"ffuf", "fuzz faster u fool", "nuclei", "acunetix", "havij", "w3af", "hydra", "netsparker",
	"openvas", "wpscan", "arachni", "skipfish", "commix", "feroxbuster", "jaeles", "xsstrike",
	"dirsearch", "whatweb", "zmeu", "morfeus",
}

// Config sets APIWatch's thresholds. The zero value of each field means
// its documented default; negative values are invalid.
type Config struct {
	// ScanWindow is the span over which unknown names and 404s are
	// counted. Default 5m.
	ScanWindow time.Duration `toml:"scan_window"`
	// ScanDistinct distinct unknown relations or columns named by one
	// address or principal within ScanWindow are enumeration. Default 15.
	ScanDistinct int `toml:"scan_distinct"`
	// ScanNotFound 404 answers to one address or principal within
	// ScanWindow are scanning. Default 150.
	ScanNotFound int `toml:"scan_not_found"`

	// FloodInterval is the bucket a request rate is counted in.
	// Default 10s.
	FloodInterval time.Duration `toml:"flood_interval"`
	// FloodFactor times the principal's usual requests per busy interval
	// is a flood, once it has FloodWarmup busy intervals of history.
	// Default 10 and 6.
	FloodFactor float64 `toml:"flood_factor"`
	FloodWarmup int     `toml:"flood_warmup"`
	// FloodMin is the fewest requests in an interval ever called a flood,
	// so that an actor idling at one request a minute is not flagged for
	// loading a page. Default 200 (20/s over 10s).
	FloodMin int `toml:"flood_min"`
	// FloodUnlearned requests in an interval are a flood from an actor
	// still warming up. Default 1000 (100/s over 10s).
	FloodUnlearned int `toml:"flood_unlearned"`
	// FloodMemory is how long an idle principal's baseline is kept.
	// Default 1h.
	FloodMemory time.Duration `toml:"flood_memory"`

	// Window is how often one actor is reported for the same stage of
	// floods, odd methods and bad agents. Default 10m.
	Window time.Duration `toml:"window"`
	// OddMethods distinct non-standard methods from one address within
	// Window raise odd_method's score from 0.5 to 0.9. Default 3.
	OddMethods int `toml:"odd_methods"`
	// BadAgents are the User-Agent words of attack tools. Default
	// [DefaultBadAgents].
	BadAgents []string `toml:"bad_agents"`
	// MaxActors bounds the actors remembered. Default 65536.
	MaxActors int `toml:"max_actors"`
}

// Validate reports every problem in c, each wrapping [ErrInvalidConfig].
func (c Config) Validate() error {
	p := agentconfig.Check(ErrInvalidConfig)
	agentconfig.NonNegative(p, "scan_window", c.ScanWindow)
	agentconfig.NonNegative(p, "flood_interval", c.FloodInterval)
	agentconfig.NonNegative(p, "flood_memory", c.FloodMemory)
	agentconfig.NonNegative(p, "window", c.Window)
	agentconfig.NonNegative(p, "scan_distinct", c.ScanDistinct)
	agentconfig.NonNegative(p, "scan_not_found", c.ScanNotFound)
	agentconfig.NonNegative(p, "flood_warmup", c.FloodWarmup)
	agentconfig.NonNegative(p, "flood_min", c.FloodMin)
	agentconfig.NonNegative(p, "flood_unlearned", c.FloodUnlearned)
	agentconfig.NonNegative(p, "odd_methods", c.OddMethods)
	agentconfig.NonNegative(p, "max_actors", c.MaxActors)
	if c.ScanDistinct > 1000 || c.ScanNotFound > 10000 {
		p.Addf("scan_distinct over 1000 or scan_not_found over 10000: state is kept per counted value")
	}
	agentconfig.FactorAtLeastOne(p, "flood_factor", c.FloodFactor)
	agentconfig.IntervalAtLeastSecond(p, "flood_interval", c.FloodInterval)
	for _, a := range c.BadAgents {
		if strings.TrimSpace(a) == "" {
			p.Addf("bad_agents holds an empty word")
		}
	}
	return p.Err()
}

func (c Config) withDefaults() Config {
	agentconfig.Default(&c.ScanWindow, 5*time.Minute)
	agentconfig.Default(&c.ScanDistinct, 15)
	agentconfig.Default(&c.ScanNotFound, 150)
	agentconfig.Default(&c.FloodInterval, 10*time.Second)
	agentconfig.Default(&c.FloodFactor, 10)
	agentconfig.Default(&c.FloodWarmup, 6)
	agentconfig.Default(&c.FloodMin, 200)
	agentconfig.Default(&c.FloodUnlearned, 1000)
	agentconfig.Default(&c.FloodMemory, time.Hour)
	agentconfig.Default(&c.Window, 10*time.Minute)
	agentconfig.Default(&c.OddMethods, 3)
	agentconfig.DefaultList(&c.BadAgents, DefaultBadAgents)
	agentconfig.Default(&c.MaxActors, 1<<16)
	return c
}
