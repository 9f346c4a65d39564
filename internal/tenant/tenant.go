// Package tenant owns projects: one PostgreSQL database each, with the roles
// Supabase clients expect (anon, authenticated, service_role, and the
// authenticator login role that switches to them), a JWT secret, and the
// Supabase-style anon and service_role keys signed with it.
//
// At Start the [Manager] makes sure the default project exists: in managed
// mode a database of its own, in external mode the database the user gave,
// to which mobo adds only roles, grants and its auth and mobo schemas, and
// never alters existing tables. Each addition is logged once, when made.
//
// A project is created in steps recorded in the control plane (status
// "creating" until every step is done), so a start after a crash finishes a
// half-made project. A Manager is safe for concurrent use after Start.
package tenant

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/migrate"
	"github.com/magflock/mobo/internal/pgcode"
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

// loginCredentials returns the login role mobo owns for project ref and its
// password, both recorded in the control plane by setupDatabase.
func loginCredentials(ctx context.Context, cp ControlPlane, ref string) (role, password string, err error) {
	role, err = cp.Setting(ctx, loginRoleSetting(ref), func() (string, error) {
		return "", fmt.Errorf("project %q has no login role yet", ref)
	})
	if err != nil {
		return "", "", err
	}
	password, err = cp.Setting(ctx, passwordSetting(ref), func() (string, error) { return randomToken(24) })
	return role, password, err
}

// ensure loads or creates project ref, finishing a creation that a crash
// interrupted, and brings its database up to date.
func (m *Manager) ensure(ctx context.Context, ref, name, db, secret string) (*Project, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	p, err := m.store.load(ctx, ref)
	if errors.Is(err, ErrNoProject) {
		if secret == "" {
			if secret, err = randomToken(48); err != nil {
				return nil, err
			}
		}
		p = &Project{Ref: ref, Name: name, Database: db, Status: "creating", JWTSecret: secret}
		if err := p.signKeys(time.Now()); err != nil {
			return nil, err
		}
		// The row goes in first, marked "creating": a crash after this point
		// is finished by the next start instead of leaving an unknown database.
		sealedSecret, sealedService, err := m.store.sealedKeys(p)
		if err != nil {
			return nil, err
		}
		_, err = pool.Exec(ctx, `insert into mobo.projects (ref, name, database, status, jwt_secret, anon_key, service_key)
			values ($1, $2, $3, 'creating', $4, $5, $6) on conflict (ref) do nothing`,
			p.Ref, p.Name, p.Database, sealedSecret, p.AnonKey, sealedService)
		if err != nil {
			return nil, fmt.Errorf("recording project %q: %w", ref, err)
		}
		m.log.Info("creating project", "ref", ref, "database", db)
		if p, err = m.store.load(ctx, ref); err != nil { // another node may have won the insert
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}

	if secret != "" && secret != p.JWTSecret {
		p.JWTSecret = secret
		if err := p.signKeys(time.Now()); err != nil {
			return nil, err
		}
		sealedSecret, sealedService, err := m.store.sealedKeys(p)
		if err != nil {
			return nil, err
		}
		_, err = pool.Exec(ctx, `update mobo.projects set jwt_secret = $2, anon_key = $3, service_key = $4, updated_at = now() where ref = $1`,
			p.Ref, sealedSecret, p.AnonKey, sealedService)
		if err != nil {
			return nil, fmt.Errorf("updating project %q secret: %w", ref, err)
		}
		m.log.Warn("jwt secret set by config differs from the stored one; anon and service keys re-issued", "ref", ref)
	}

	if m.external == "" {
		if err := m.srv.CreateDatabase(ctx, p.Database); err != nil {
			return nil, err
		}
	}
	if err := m.setupDatabase(ctx, p); err != nil {
		return nil, err
	}
	if p.Status == "creating" {
		if _, err := pool.Exec(ctx, `update mobo.projects set status = 'active', updated_at = now() where ref = $1`, ref); err != nil {
			return nil, fmt.Errorf("activating project %q: %w", ref, err)
		}
		p.Status = "active"
		if err := m.cp.Audit(ctx, "system", "project.create", ref, nil); err != nil {
			return nil, err
		}
		m.log.Info("project created", "ref", ref)
	}
	return p, nil
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

// setupDatabase creates the cluster-wide roles if missing, then applies the
// project migrations to the project database.
func (m *Manager) setupDatabase(ctx context.Context, p *Project) error {
	password, err := m.cp.Setting(ctx, passwordSetting(p.Ref), func() (string, error) { return randomToken(24) })
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString(p.Database))
	if err != nil {
		return fmt.Errorf("connecting to project database %q: %w", p.Database, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := m.ensureRoles(ctx, conn); err != nil {
		return err
	}
	login, err := m.ensureLoginRole(ctx, conn, p.Ref, password)
	if err != nil {
		return err
	}
	if m.external == "" {
		if err := m.ensureOwner(ctx, conn, p); err != nil {
			return err
		}
	}
	db := pgx.Identifier{p.Database}.Sanitize()
	if p.Ref != DefaultRef || m.external == "" {
		// Only its own login role may connect to a project's database; in
		// external mode the user's database keeps the grants it had.
		if _, err := conn.Exec(ctx, "revoke connect, temporary on database "+db+" from public"); err != nil {
			return fmt.Errorf("revoking public connect on %q: %w", p.Database, err)
		}
	}
	if _, err := conn.Exec(ctx, "grant connect on database "+db+" to "+pgx.Identifier{login}.Sanitize()); err != nil {
		return fmt.Errorf("granting connect on %q: %w", p.Database, err)
	}
	set, err := Migrations()
	if err != nil {
		return err
	}
	if err := set.Run(ctx, conn, m.log, "project", "ref", p.Ref); err != nil {
		return fmt.Errorf("project %q: %w", p.Ref, err)
	}
	for _, h := range m.hooks {
		if err := h.fn(ctx, p.Ref, m.srv.ConnString(p.Database)); err != nil {
			return fmt.Errorf("setting up %s for project %q: %w", h.name, p.Ref, err)
		}
	}
	return nil
}

// LoginRole is the role project ref's API connections log in as: the
// Supabase name "authenticator" for the default project, "<ref>_authenticator"
// for the others, so no project's login role can connect to another's
// database. When a role of that name exists and mobo did not make it (a
// Supabase dump served with --database-url), mobo makes and uses
// "mobo_"+LoginRole(ref) instead, and leaves the existing one alone.
func LoginRole(ref string) string {
	if ref == DefaultRef {
		return RoleAuthenticator
	}
	return ref + "_" + RoleAuthenticator
}

func loginRoleSetting(ref string) string { return "login_role:" + ref }

func passwordSetting(ref string) string {
	if ref == DefaultRef {
		return "authenticator_password"
	}
	return "authenticator_password:" + ref
}

// SetupHook prepares a project database for one component (its schema, its
// migrations). It runs at every start for every active project and when a
// project is created, after mobo's own project migrations; it must be
// idempotent. connString is a superuser connection string for the database.
type SetupHook func(ctx context.Context, ref, connString string) error

// AddSetupHook registers a hook. Call it before Start.
func (m *Manager) AddSetupHook(name string, fn SetupHook) {
	m.hooks = append(m.hooks, setupHook{name: name, fn: fn})
}

// TeardownHook releases what a component holds in a project database that
// would keep the database from being dropped (a replication slot, say). It
// runs when a project is deleted, before its database is dropped, also when
// a crash interrupted the deletion; it must be idempotent. connString is a
// superuser connection string for the database.
type TeardownHook func(ctx context.Context, ref, connString string) error

// AddTeardownHook registers a hook. Call it before Start.
func (m *Manager) AddTeardownHook(name string, fn TeardownHook) {
	m.teardown = append(m.teardown, setupHook{name: name, fn: SetupHook(fn)})
}

type setupHook struct {
	name string
	fn   SetupHook
}

// roleSpecs are the shared, NOLOGIN API roles, created in this order; each
// project's login role is granted them.
var roleSpecs = []struct{ name, options string }{
	{RoleAnon, "nologin noinherit"},
	{RoleAuthenticated, "nologin noinherit"},
	{RoleServiceRole, "nologin noinherit bypassrls"},
}

func (m *Manager) ensureRoles(ctx context.Context, conn *pgx.Conn) error {
	for _, r := range roleSpecs {
		exists, err := roleExists(ctx, conn, r.name)
		if err != nil {
			return err
		}
		if exists {
			continue // an existing role (say, from a Supabase dump) is used as it is
		}
		// Options are constants and the names are too.
		_, err = conn.Exec(ctx, "create role "+pgx.Identifier{r.name}.Sanitize()+" "+r.options)
		if isConcurrentCreate(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("creating role %q: %w", r.name, err)
		}
		m.log.Info("added role", "role", r.name)
	}
	return nil
}

// isConcurrentCreate reports an error from creating a role that another
// session created at the same moment: duplicate_object, or a unique
// violation on pg_authid when both passed the existence check.
func isConcurrentCreate(err error) bool {
	return pgcode.Is(err, pgcode.DuplicateObject) || pgcode.Is(err, pgcode.UniqueViolation)
}

func roleExists(ctx context.Context, conn *pgx.Conn, name string) (bool, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "select exists (select from pg_roles where rolname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("looking up role %q: %w", name, err)
	}
	return exists, nil
}

// ensureLoginRole makes sure project ref has a login role that mobo owns,
// with the stored password (set again at every boot, so a crash between
// creating the role and setting its password heals), granted the API roles.
func (m *Manager) ensureLoginRole(ctx context.Context, conn *pgx.Conn, ref, password string) (string, error) {
	name, err := m.cp.Setting(ctx, loginRoleSetting(ref), func() (string, error) {
		name := LoginRole(ref)
		if ref == DefaultRef && m.cfg.DefaultLoginRole != "" {
			name = m.cfg.DefaultLoginRole
		}
		exists, err := roleExists(ctx, conn, name)
		if err != nil {
			return "", err
		}
		if exists { // not ours: never take over a role mobo did not make
			name = "mobo_" + name
			m.log.Info("a role named like the login role exists already; using a role of mobo's own", "existing", LoginRole(ref), "login_role", name)
		}
		return name, nil
	})
	if err != nil {
		return "", err
	}
	if err := ensurePasswordRole(ctx, conn, name, "login noinherit", password); err != nil {
		return "", err
	}
	for _, r := range []string{RoleAnon, RoleAuthenticated, RoleServiceRole} {
		if _, err := conn.Exec(ctx, "grant "+pgx.Identifier{r}.Sanitize()+" to "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("granting %q to %q: %w", r, name, err)
		}
	}
	return name, nil
}

// ensurePasswordRole creates role name with options if it is missing and
// sets its password, in one transaction. The password travels as its SCRAM
// verifier (a salted hash, never the password), bound as a setting and quoted
// by format() on the server: CREATE/ALTER ROLE take no bind parameters.
// options are constants of the caller's.
func ensurePasswordRole(ctx context.Context, conn *pgx.Conn, name, options, password string) error {
	verifier, err := scramVerifier(password)
	if err != nil {
		return err
	}
	setup := func() error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "select set_config('mobo.role', $1, true), set_config('mobo.verifier', $2, true), set_config('mobo.options', $3, true)", name, verifier, options); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `do $$ begin
				if not exists (select from pg_roles where rolname = current_setting('mobo.role')) then
					execute format('create role %I ', current_setting('mobo.role')) || current_setting('mobo.options');
				end if;
				execute format('alter role %I password %L', current_setting('mobo.role'), current_setting('mobo.verifier'));
			end $$`)
			return err
		})
	}
	err = setup()
	if isConcurrentCreate(err) { // another node created it between our check and create: set the password now
		err = setup()
	}
	if err != nil {
		return fmt.Errorf("setting up role %q: %w", name, err)
	}
	return nil
}

// OwnerRole is the role that owns project ref's database in managed mode:
// it logs in (mobo db psql, migrations tools), creates tables, and its new
// objects are granted to the API roles as Supabase's postgres role's are.
func OwnerRole(ref string) string { return ref + "_owner" }

func ownerPasswordSetting(ref string) string { return "owner_password:" + ref }

// ensureOwner makes the project's owner role own its database. Only in
// managed mode: an external database keeps the owner it has.
func (m *Manager) ensureOwner(ctx context.Context, conn *pgx.Conn, p *Project) error {
	password, err := m.cp.Setting(ctx, ownerPasswordSetting(p.Ref), func() (string, error) { return randomToken(24) })
	if err != nil {
		return err
	}
	owner := OwnerRole(p.Ref)
	if p.Ref == DefaultRef && m.cfg.DefaultLoginRole != "" { // tests: cluster-wide names must not collide
		owner = m.cfg.DefaultLoginRole + "_owner"
	}
	if err := ensurePasswordRole(ctx, conn, owner, "login inherit", password); err != nil {
		return err
	}
	o := pgx.Identifier{owner}.Sanitize()
	for _, stmt := range []string{
		"grant anon, authenticated, service_role to " + o,
		"alter database " + pgx.Identifier{p.Database}.Sanitize() + " owner to " + o,
		"alter default privileges for role " + o + " in schema public grant all on tables to anon, authenticated, service_role",
		"alter default privileges for role " + o + " in schema public grant all on sequences to anon, authenticated, service_role",
		"alter default privileges for role " + o + " in schema public grant all on functions to anon, authenticated, service_role",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("setting up the owner of project %q: %w", p.Ref, err)
		}
	}
	_, err = m.cp.Setting(ctx, ownerRoleSetting(p.Ref), func() (string, error) { return owner, nil })
	return err
}

func ownerRoleSetting(ref string) string { return "owner_role:" + ref }

// ownerCredentials returns the role owning project ref's database and its
// password, as setupDatabase recorded them, or ErrNoOwner in external mode.
func ownerCredentials(ctx context.Context, cp ControlPlane, external bool, ref string) (role, password string, err error) {
	if external {
		return "", "", ErrNoOwner
	}
	role, err = cp.Setting(ctx, ownerRoleSetting(ref), func() (string, error) { return "", ErrNoOwner })
	if err != nil {
		return "", "", err
	}
	password, err = cp.Setting(ctx, ownerPasswordSetting(ref), func() (string, error) { return "", ErrNoOwner })
	return role, password, err
}

// ErrNoOwner: the project's database has no owner role of mobo's (external mode).
var ErrNoOwner = errors.New("the project has no owner role of mobo's")

// scramVerifier computes PostgreSQL's SCRAM-SHA-256 password verifier
// (RFC 5802/7677), so that the plaintext password never reaches the server,
// its logs or an error's CONTEXT line.
//
// Its iteration count is low on purpose. Iterations slow down guessing a
// low-entropy password from a leaked verifier; the passwords here are 192
// random bits (randomToken(24)), which no count makes easier or harder to
// guess, while every new pool connection pays the count twice, in mobo and
// in the server (4,096 iterations cost a few milliseconds of CPU per
// connection on each side).
func scramVerifier(password string) (string, error) {
	const iterations = 16
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	hm := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := hm(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hm(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(serverKey)), nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
