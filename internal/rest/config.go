package rest

import (
	"errors"
	"fmt"
	"regexp"
)

// Config is the REST API's configuration, PostgREST's settings that go with
// it. The zero value is the documented default: schema public, no extra
// search path, no row limit, aggregates off, anonymous access on,
// transaction overrides off, plans off.
type Config struct {
	// Schemas are the exposed schemas; the first is the default one.
	// Default ["public"] (PostgREST's db-schemas).
	Schemas []string `toml:"schemas"`
	// ExtraSearchPath is appended to the search path of every request
	// (PostgREST's db-extra-search-path). Default ["public"].
	ExtraSearchPath []string `toml:"extra_search_path"`
	// MaxRows caps the rows a read returns; 0 is no cap (db-max-rows).
	MaxRows int64 `toml:"max_rows"`
	// Aggregates allows aggregate functions in select (db-aggregates-enabled).
	Aggregates bool `toml:"aggregates"`
	// DisableAnonymous refuses requests without credentials with PGRST302
	// instead of running them as the anonymous role.
	DisableAnonymous bool `toml:"disable_anonymous"`
	// TxOverrides honours Prefer: tx=commit|rollback (db-tx-end
	// commit-allow-override).
	TxOverrides bool `toml:"tx_overrides"`
	// Plan serves execution plans for Accept: application/vnd.pgrst.plan
	// (db-plan-enabled).
	Plan bool `toml:"plan"`
}

var schemaNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// Validate reports a malformed setting.
func (c Config) Validate() error {
	if c.MaxRows < 0 {
		return errors.New("rest.max_rows must not be negative")
	}
	for _, s := range append(append([]string{}, c.Schemas...), c.ExtraSearchPath...) {
		if !schemaNameRE.MatchString(s) {
			return fmt.Errorf("rest: %q is not a schema name", s)
		}
	}
	return nil
}

func (c Config) schemas() []string {
	if len(c.Schemas) == 0 {
		return []string{"public"}
	}
	return c.Schemas
}

func (c Config) extraSearchPath() []string {
	if c.ExtraSearchPath == nil {
		return []string{"public"}
	}
	return c.ExtraSearchPath
}
