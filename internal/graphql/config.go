package graphql

import "errors"

// Config is the GraphQL API's configuration. The zero value is the
// documented default: pages of 30 rows (pg_graphql's default), at most
// 1000 rows a page, 10000 rows a request and a depth of 16.
type Config struct {
	// DefaultLimit is the page size when neither first nor last is given.
	DefaultLimit int `toml:"default_limit"`
	// MaxLimit caps first and last.
	MaxLimit int `toml:"max_limit"`
	// MaxRows is the most rows a request may ask for, nested pages
	// multiplied out; more is a GraphQL error.
	MaxRows int64 `toml:"max_rows"`
	// MaxDepth is the deepest selection a request may have.
	MaxDepth int `toml:"max_depth"`
	// MaxBodyBytes bounds a request body; a larger one is 413. Default
	// 1 MiB.
	MaxBodyBytes int64 `toml:"max_body_bytes"`
}

// Validate reports a malformed setting.
func (c Config) Validate() error {
	if c.DefaultLimit < 0 || c.MaxLimit < 0 || c.MaxRows < 0 || c.MaxDepth < 0 || c.MaxBodyBytes < 0 {
		return errors.New("graphql: limits must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.DefaultLimit == 0 {
		c.DefaultLimit = 30
	}
	if c.MaxLimit == 0 {
		c.MaxLimit = 1000
	}
	if c.MaxRows == 0 {
		c.MaxRows = 10000
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = 16
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	return c
}

// DefaultConfig is the zero Config with its defaults spelled out.
func DefaultConfig() Config { return Config{}.withDefaults() }
