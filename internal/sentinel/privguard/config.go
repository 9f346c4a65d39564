package privguard

import (
	"time"

	"github.com/magflock/mobo/internal/sentinel/agentconfig"
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
	p := agentconfig.Check(ErrInvalidConfig)
	agentconfig.NonNegative(p, "window", c.Window)
	for _, f := range []struct {
		name string
		v    int
	}{{"denials", c.Denials}, {"denied_relations", c.DeniedRelations}, {"protected_relations", c.ProtectedRelations}} {
		agentconfig.NonNegative(p, f.name, f.v)
		agentconfig.AtMost(p, f.name, f.v, 1000)
	}
	agentconfig.NonNegative(p, "max_actors", c.MaxActors)
	for _, list := range [][]string{c.ProtectedSchemas, c.PrivilegedRoles, c.ProtectedAPIs} {
		for _, s := range list {
			if s == "" {
				p.Addf("an empty name in a list")
			}
		}
	}
	return p.Err()
}

func (c Config) withDefaults() Config {
	agentconfig.Default(&c.Window, 5*time.Minute)
	agentconfig.Default(&c.Denials, 30)
	agentconfig.Default(&c.DeniedRelations, 8)
	agentconfig.Default(&c.ProtectedRelations, 3)
	agentconfig.DefaultList(&c.ProtectedSchemas, DefaultProtectedSchemas)
	agentconfig.DefaultList(&c.PrivilegedRoles, DefaultPrivilegedRoles)
	agentconfig.DefaultList(&c.ProtectedAPIs, DefaultProtectedAPIs)
	agentconfig.Default(&c.MaxActors, 1<<16)
	return c
}
