package main

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/graphql"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg"
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/realtime"
	"github.com/magflock/mobo/internal/rest"
	"github.com/magflock/mobo/internal/sentinel"
	"github.com/magflock/mobo/internal/slo"
	"github.com/magflock/mobo/internal/tenant"
	"github.com/magflock/mobo/internal/tracing"
)

// Config is mobo's whole configuration: one section per component. See the
// README's configuration reference; `mobo config` prints the effective one.
type Config struct {
	// DataDir holds the managed PostgreSQL cluster and mobo's local files.
	DataDir string `toml:"data_dir"`
	// DatabaseURL, when set, serves an existing PostgreSQL database instead of
	// running a managed cluster.
	DatabaseURL string `toml:"database_url" secret:"true"`
	// JWTSecret is the default project's JWT secret (generated when empty).
	JWTSecret string `toml:"jwt_secret" secret:"true"`

	HTTP     gateway.Config   `toml:"http"`
	Postgres pg.Config        `toml:"postgres"`
	Log      kernel.LogConfig `toml:"log"`
	Auth     auth.Config      `toml:"auth"`
	REST     rest.Config      `toml:"rest"`
	GraphQL  graphql.Config   `toml:"graphql"`
	Realtime realtime.Config  `toml:"realtime"`
	PGWire   pgwire.Config    `toml:"pgwire"`
	Projects ProjectsConfig   `toml:"projects"`
	Secrets  secrets.Config   `toml:"secrets"`
	Sentinel sentinel.Config  `toml:"sentinel"`
	SLO      slo.Config       `toml:"slo"`
	Tracing  tracing.Config   `toml:"tracing"`
}

func defaultConfig() Config {
	// Zero values mean the same defaults; spelling them out here makes
	// `mobo config` show what is in effect.
	return Config{
		DataDir: "mobo_data",
		HTTP:    gateway.Config{Listen: "127.0.0.1:8000", ReadHeaderTimeout: 10 * time.Second, ShutdownTimeout: 10 * time.Second, RequestTimeout: gateway.DefaultRequestTimeout},
		Postgres: pg.Config{
			OSUser:         pg.DefaultOSUser,
			MaxConnections: pg.DefaultMaxConnections,
			SharedBuffers:  pg.DefaultSharedBuffers,
		},
		Log:      kernel.LogConfig{Format: "auto", Level: "info"},
		Auth:     auth.Defaults(),
		Realtime: realtime.DefaultConfig(),
		GraphQL:  graphql.DefaultConfig(),
		Tracing:  tracing.Config{SampleRatio: tracing.DefaultSampleRatio, ServiceName: "mobo"},
		Projects: ProjectsConfig{
			PoolMaxConns:        tenant.DefaultPoolMaxConns,
			ReservedConnections: tenant.DefaultReservedConnections,
			PoolIdleTimeout:     time.Minute,
			QuotaCheckInterval:  tenant.DefaultQuotaCheckInterval,
			ActiveBackends:      tenant.DefaultActiveBackends(),
		},
	}
}

// ProjectsConfig holds the platform defaults of every project; a project's
// own limits (mobo project limits) override them.
type ProjectsConfig struct {
	// PoolMaxConns caps each project's API pool. Default 10.
	PoolMaxConns int `toml:"pool_max_conns"`
	// ReservedConnections of the cluster's max_connections are kept from
	// project pools for the control plane and admin work. Default 15.
	ReservedConnections int `toml:"reserved_connections"`
	// PoolIdleTimeout closes idle pool connections, so idle projects hold
	// none. Default 1m.
	PoolIdleTimeout time.Duration `toml:"pool_idle_timeout"`
	// StatementTimeout bounds API statements. Default: none.
	StatementTimeout time.Duration `toml:"statement_timeout"`
	// QuotaCheckInterval is how often database sizes meet their limits. Default 30s.
	QuotaCheckInterval time.Duration `toml:"quota_check_interval"`
	// ActiveBackends is how many API connections busy projects use at once
	// between them, in fair shares. Default 4 per CPU, at least 8.
	ActiveBackends int `toml:"active_backends"`
}

// Validate rejects negative values.
func (c ProjectsConfig) Validate() error {
	if c.PoolMaxConns < 0 || c.ReservedConnections < 0 || c.ActiveBackends < 0 || c.PoolIdleTimeout < 0 || c.StatementTimeout < 0 || c.QuotaCheckInterval < 0 {
		return errors.New("projects: limits must not be negative")
	}
	return nil
}

// Validate checks what spans sections.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir must not be empty")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return errors.New("jwt_secret must be at least 32 characters")
	}
	return nil
}

// managed reports whether mobo runs its own PostgreSQL.
func (c Config) managed() bool { return c.DatabaseURL == "" }

// pgDataDir is the managed cluster's PGDATA: postgres.data_dir, or <data_dir>/pg.
func (c Config) pgDataDir() string {
	if c.Postgres.DataDir != "" {
		return c.Postgres.DataDir
	}
	return filepath.Join(c.DataDir, "pg")
}

// flagKeys binds command-line flags to config keys.
var flagKeys = map[string]string{
	"data-dir":     "data_dir",
	"database-url": "database_url",
	"http":         "http.listen",
	"log-level":    "log.level",
	"log-format":   "log.format",
	"pg-port":      "postgres.port",
	"pg-listen":    "pgwire.listen",
}

// ignoredEnv are MOBO_* variables read elsewhere, not config keys.
var ignoredEnv = []string{"MOBO_URL", "MOBO_ADMIN_KEY", "MOBO_TEST_DATABASE_URL", "MOBO_CONFIG"}

func addConfigFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.String("config", "", "config file (default: ./mobo.toml or ./mobo.yaml if present; env MOBO_CONFIG)")
	f.String("data-dir", "", "data directory (default ./mobo_data)")
	f.String("database-url", "", "serve this PostgreSQL database instead of a managed cluster (postgres://…)")
	f.String("http", "", "HTTP listen address (default 127.0.0.1:8000)")
	f.String("log-level", "", "log level: debug, info, warn, error")
	f.String("log-format", "", "log format: auto, text, json")
	f.Int("pg-port", 0, "managed PostgreSQL TCP port on 127.0.0.1 (default: automatic)")
	f.String("pg-listen", "", "PostgreSQL wire endpoint (transaction pooler) address, e.g. 127.0.0.1:6543 (default: off)")
}

// loadConfig applies defaults < file < MOBO_* < flags.
func loadConfig(cmd *cobra.Command) (Config, kernel.LoadResult, error) {
	cfg := defaultConfig()
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		file = os.Getenv("MOBO_CONFIG")
	}
	var flags []kernel.Flag
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if key, ok := flagKeys[f.Name]; ok {
			flags = append(flags, kernel.Flag{Name: f.Name, Key: key, Value: f.Value.String()})
		}
	})
	res, err := kernel.Load(&cfg, kernel.LoadOptions{
		File:         file,
		DefaultFiles: []string{"mobo.toml", "mobo.yaml", "mobo.yml"},
		Environ:      os.Environ(),
		IgnoreEnv:    ignoredEnv,
		Flags:        flags,
	})
	return cfg, res, err
}
