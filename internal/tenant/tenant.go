package tenant

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/migrate"
)

// DefaultRef is the ref of the project served at the root paths.
const DefaultRef = "default"

// Roles every project database has. They are cluster-wide in PostgreSQL.
const (
	RoleAnon          = "anon"
	RoleAuthenticated = "authenticated"
	RoleServiceRole   = "service_role"
	RoleAuthenticator = "authenticator"
)

// keyLifetime is how long the anon and service_role keys are valid, as Supabase's.
const keyLifetime = 10 * 365 * 24 * time.Hour

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the schema mobo adds to every project database.
func Migrations() (*migrate.Set, error) {
	return migrate.Load(migrationsFS, "migrations", pgx.Identifier{"mobo", "project_migrations"})
}

// Config configures projects.
type Config struct {
	// Keys seal the projects' secrets in the control plane (sealed.go).
	// Required.
	Keys *secrets.Keyring
	// JWTSecret, when set, is the default project's JWT secret instead of a
	// generated one, so tokens of a project moved from Supabase keep working.
	// At least 32 characters.
	JWTSecret string
	// DefaultDatabase names the default project's database in managed mode.
	// Default "proj_default".
	DefaultDatabase string
	// DumpDir receives the final dumps of deleted projects.
	DumpDir string
	// DefaultLoginRole is the default project's login role. Default
	// "authenticator", Supabase's name.
	DefaultLoginRole string
	// PoolMaxConns caps each project's API pool unless the project sets its
	// own limit. Default 10.
	PoolMaxConns int
	// ReservedConnections are kept free of project pools for the control
	// plane and admin work. Default 15.
	ReservedConnections int
	// StatementTimeout bounds API statements unless the project sets its
	// own. Zero: none.
	StatementTimeout time.Duration
	// QuotaCheckInterval is how often database sizes are compared with their
	// limits. Default 30s.
	QuotaCheckInterval time.Duration
	// PoolIdleTimeout closes a project pool's connections idle this long, so
	// idle projects hold none. Default 1m.
	PoolIdleTimeout time.Duration
	// ActiveBackends is how many connections of the API pools the busy
	// projects use at once between them, in fair shares (see share.go);
	// each busy project may use at least one. Default DefaultActiveBackends.
	ActiveBackends int
}

// Platform defaults for per-project limits.
const (
	DefaultPoolMaxConns        = 10
	DefaultReservedConnections = 15
	DefaultQuotaCheckInterval  = 30 * time.Second
)

// Validate reports a secret too short to be safe.
func (c Config) Validate() error {
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return errors.New("jwt_secret must be at least 32 characters")
	}
	return nil
}

// Project is one tenant.
type Project struct {
	Ref        string    `json:"ref"`
	Name       string    `json:"name"`
	Database   string    `json:"database"`
	Status     string    `json:"status"`
	JWTSecret  string    `json:"-"`
	AnonKey    string    `json:"anon_key"`
	ServiceKey string    `json:"service_key"`
	CreatedAt  time.Time `json:"created_at"`
	Limits     Limits    `json:"limits"`
	// OverQuota is set while the database is larger than Limits.DBSizeLimit;
	// the database is then read-only.
	OverQuota bool `json:"over_quota"`
	// settings are the APIs' overrides as stored (by settingsColumns'
	// keys), compared by the watcher to tell the change hooks of changes
	// made on other nodes.
	settings [2]string
}

// Limits are a project's own limits; zero values mean the platform defaults.
type Limits struct {
	// MaxConnections caps the project's API pool.
	MaxConnections int `json:"max_connections,omitempty"`
	// StatementTimeout bounds each statement of the project's API requests.
	StatementTimeout time.Duration `json:"statement_timeout,omitempty"`
	// DBSizeLimit is the database size in bytes above which writes are refused.
	DBSizeLimit int64 `json:"db_size_limit,omitempty"`
	// RequestRate is a rate limit rule for the project's API requests ("100/s").
	RequestRate string `json:"request_rate,omitempty"`
}

// projectColumns and scanProject read a project row; keep them together.
const projectColumns = `ref, name, database, status, jwt_secret, anon_key, service_key, created_at,
	coalesce(max_connections, 0), coalesce(extract(epoch from statement_timeout) * 1000, 0)::bigint,
	coalesce(db_size_limit, 0), coalesce(request_rate, ''), over_quota, rest_settings::text, auth_settings::text`

func scanProject(row pgx.Row) (*Project, error) {
	var p Project
	var timeoutMS int64
	err := row.Scan(&p.Ref, &p.Name, &p.Database, &p.Status, &p.JWTSecret, &p.AnonKey, &p.ServiceKey, &p.CreatedAt,
		&p.Limits.MaxConnections, &timeoutMS, &p.Limits.DBSizeLimit, &p.Limits.RequestRate, &p.OverQuota, &p.settings[settingsREST], &p.settings[settingsAuth])
	p.Limits.StatementTimeout = time.Duration(timeoutMS) * time.Millisecond
	return &p, err
}

// ControlPlane is what the manager needs from the control plane.
type ControlPlane interface {
	Pool() (*pgxpool.Pool, error)
	// Follow calls sync at each (re)connection and changed for each
	// announcement on channel, until ctx ends.
	Follow(ctx context.Context, channel string, sync func(context.Context) error, changed func(ctx context.Context, payload string) error)
	Setting(ctx context.Context, key string, create func() (string, error)) (string, error)
	Audit(ctx context.Context, actor, action, target string, detail any) error
}

// Server is what the manager needs from PostgreSQL: a superuser connection
// string for a database.
type Server interface {
	ConnString(database string) string
	// CreateDatabase creates database db unless it exists.
	CreateDatabase(ctx context.Context, db string) error
}

// signKeys issues the project's anon and service_role keys: HS256 JWTs with
// a role claim, as Supabase's.
func (p *Project) signKeys(now time.Time) error {
	var err error
	if p.AnonKey, err = SignRoleKey(p.JWTSecret, p.Ref, RoleAnon, now); err != nil {
		return err
	}
	p.ServiceKey, err = SignRoleKey(p.JWTSecret, p.Ref, RoleServiceRole, now)
	return err
}

// SignRoleKey returns a long-lived HS256 JWT carrying role, like Supabase's API keys.
func SignRoleKey(secret, ref, role string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss":  "mobo",
		"ref":  ref,
		"role": role,
		"iat":  now.Unix(),
		"exp":  now.Add(keyLifetime).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("signing %s key: %w", role, err)
	}
	return s, nil
}
