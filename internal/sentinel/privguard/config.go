package privguard

import (
	"errors"
	"fmt"
	"time"
)

// DefaultProtectedSchemas are the schemas no API client should name, used
// when [Config.ProtectedSchemas] is empty. Every schema starting with
// "pg_" is protected too. graphql and graphql_public are not: Supabase
// clients call graphql_public.graphql through the REST API.
var DefaultProtectedSchemas = []string{
	"auth", "mobo", "storage", "information_schema", "pg_catalog", "realtime", "vault",
	"extensions", "net", "cron", "pgsodium", "pgsodium_masks",
	"supabase_functions", "supabase_migrations", "_realtime", "_analytics",
}

// DefaultPrivilegedRoles are the roles whose refused claim scores 1.0,
// used when [Config.PrivilegedRoles] is empty.
var DefaultPrivilegedRoles = []string{
	"service_role", "postgres", "supabase_admin", "supabase_auth_admin", "supabase_storage_admin",
	"supabase_replication_admin", "supabase_read_only_user", "supabase_realtime_admin",
	"dashboard_user", "authenticator", "pgbouncer", "mobo_admin",
}

// DefaultProtectedAPIs are the APIs whose requests are checked for
// protected schemas when [Config.ProtectedAPIs] is empty. Realtime is
// left out: private channels are authorized through realtime.messages.
var DefaultProtectedAPIs = []string{"rest", "graphql"}

// Config sets PrivGuard's thresholds. The zero value of each field means
// its documented default; negative values are invalid.
type Config struct {
	// Window is the span over which refusals are counted and how often one
	// actor is reported for the same stage. Default 5m.
	Window time.Duration `toml:"window"`
	// Denials refusals (42501 or 403) within Window are a burst.
	// Default 30.
	Denials int `toml:"denials"`
	// DeniedRelations distinct relations refused (42501, 403 or 401)
	// within Window are probing. Default 8.
	DeniedRelations int `toml:"denied_relations"`
	// ProtectedRelations distinct relations in protected schemas within
	// Window raise the score to 1.0. Default 3.
	ProtectedRelations int `toml:"protected_relations"`
	// ProtectedSchemas, PrivilegedRoles and ProtectedAPIs default to
	// [DefaultProtectedSchemas], [DefaultPrivilegedRoles] and
	// [DefaultProtectedAPIs].
	ProtectedSchemas []string `toml:"protected_schemas"`
	PrivilegedRoles  []string `toml:"privileged_roles"`
	ProtectedAPIs    []string `toml:"protected_apis"`
	// MaxActors bounds the actors remembered. Default 65536.
	MaxActors int `toml:"max_actors"`
}

// Validate reports every problem in c, each wrapping [ErrInvalidConfig].
func (c Config) Validate() error {
	var errs []error
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("%w: window is %v, want 0 (the default) or more", ErrInvalidConfig, c.Window))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"denials", c.Denials}, {"denied_relations", c.DeniedRelations}, {"protected_relations", c.ProtectedRelations}, {"max_actors", c.MaxActors}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %d, want 0 (the default) or more", ErrInvalidConfig, f.name, f.v))
		}
		if f.name != "max_actors" && f.v > 1000 {
			errs = append(errs, fmt.Errorf("%w: %s is %d, want at most 1000", ErrInvalidConfig, f.name, f.v))
		}
	}
	for _, list := range [][]string{c.ProtectedSchemas, c.PrivilegedRoles, c.ProtectedAPIs} {
		for _, s := range list {
			if s == "" {
				errs = append(errs, fmt.Errorf("%w: an empty name in a list", ErrInvalidConfig))
			}
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = 5 * time.Minute
	}
	if c.Denials == 0 {
		c.Denials = 30
	}
	if c.DeniedRelations == 0 {
		c.DeniedRelations = 8
	}
	if c.ProtectedRelations == 0 {
		c.ProtectedRelations = 3
	}
	if len(c.ProtectedSchemas) == 0 {
		c.ProtectedSchemas = DefaultProtectedSchemas
	}
	if len(c.PrivilegedRoles) == 0 {
		c.PrivilegedRoles = DefaultPrivilegedRoles
	}
	if len(c.ProtectedAPIs) == 0 {
		c.ProtectedAPIs = DefaultProtectedAPIs
	}
	if c.MaxActors == 0 {
		c.MaxActors = 1 << 16
	}
	return c
}
