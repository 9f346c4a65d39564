package pgwire

import (
	"fmt"
	"net"
)

// Config is the "pgwire" section of mobo's configuration.
type Config struct {
	// Listen is the TCP address of the PostgreSQL wire endpoint, e.g.
	// 127.0.0.1:6543. Empty (the default) turns the endpoint off. The
	// endpoint speaks no TLS (passwords are checked with SCRAM-SHA-256, but
	// queries and results cross the network in clear): keep it on loopback.
	Listen string `toml:"listen"`
}

// Enabled reports whether the endpoint is configured.
func (c Config) Enabled() bool { return c.Listen != "" }

// Validate implements the kernel's config validation.
func (c Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("pgwire.listen %q: %w", c.Listen, err)
	}
	return nil
}
