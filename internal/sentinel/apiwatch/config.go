package apiwatch

import (
	"errors"
	"fmt"
	"strings"
	"time"
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
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"scan_window", c.ScanWindow}, {"flood_interval", c.FloodInterval}, {"flood_memory", c.FloodMemory}, {"window", c.Window}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %v, want 0 (the default) or more", ErrInvalidConfig, d.name, d.v))
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"scan_distinct", c.ScanDistinct}, {"scan_not_found", c.ScanNotFound}, {"flood_warmup", c.FloodWarmup}, {"flood_min", c.FloodMin}, {"flood_unlearned", c.FloodUnlearned}, {"odd_methods", c.OddMethods}, {"max_actors", c.MaxActors}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %d, want 0 (the default) or more", ErrInvalidConfig, f.name, f.v))
		}
	}
	if c.ScanDistinct > 1000 || c.ScanNotFound > 10000 {
		errs = append(errs, fmt.Errorf("%w: scan_distinct over 1000 or scan_not_found over 10000: state is kept per counted value", ErrInvalidConfig))
	}
	if c.FloodFactor != 0 && c.FloodFactor < 1 {
		errs = append(errs, fmt.Errorf("%w: flood_factor is %v, want 0 (the default) or at least 1", ErrInvalidConfig, c.FloodFactor))
	}
	if c.FloodInterval != 0 && c.FloodInterval < time.Second {
		errs = append(errs, fmt.Errorf("%w: flood_interval is %v, want at least 1s", ErrInvalidConfig, c.FloodInterval))
	}
	for _, a := range c.BadAgents {
		if strings.TrimSpace(a) == "" {
			errs = append(errs, fmt.Errorf("%w: bad_agents holds an empty word", ErrInvalidConfig))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	dur(&c.ScanWindow, 5*time.Minute)
	def(&c.ScanDistinct, 15)
	def(&c.ScanNotFound, 150)
	dur(&c.FloodInterval, 10*time.Second)
	if c.FloodFactor == 0 {
		c.FloodFactor = 10
	}
	def(&c.FloodWarmup, 6)
	def(&c.FloodMin, 200)
	def(&c.FloodUnlearned, 1000)
	dur(&c.FloodMemory, time.Hour)
	dur(&c.Window, 10*time.Minute)
	def(&c.OddMethods, 3)
	if len(c.BadAgents) == 0 {
		c.BadAgents = DefaultBadAgents
	}
	def(&c.MaxActors, 1<<16)
	return c
}
