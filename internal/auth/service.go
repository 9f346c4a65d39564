package auth

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/migrate"
	"github.com/magflock/mobo/internal/ratelimit"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the auth schema applied to every project database,
// tracked in mobo.auth_migrations.
func Migrations() (*migrate.Set, error) {
	return migrate.Load(migrationsFS, "migrations", pgx.Identifier{"mobo", "auth_migrations"})
}

// Tenants is what the service needs from the tenant component.
type Tenants interface {
	Refs() []string
	JWTSecret(ref string) (string, error)
	Database(ref string) (string, error)
	// ServicePool is the project's pool for the auth service, as the
	// owner of the auth schema; the tenant opens it on demand, counts it
	// against the cluster's connection budget, reaps it when idle and
	// closes it when the project is paused or deleted.
	ServicePool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// Server gives a superuser connection string for a database. The auth
// service owns the auth schema, as GoTrue's supabase_auth_admin does.
type Server interface {
	ConnString(database string) string
}

// Option customises a [Service].
type Option func(*Service)

// WithSMSSender sets the SMS sender (default: log the message).
func WithSMSSender(s SMSSender) Option { return func(svc *Service) { svc.sms = s } }

// WithMailer sets the mailer (default: SMTP from the config).
func WithMailer(m Mailer) Option { return func(svc *Service) { svc.mail = m } }

// WithSettings keeps each project's overrides of the auth settings in st
// (the tenant's); without it every project runs on the platform's.
func WithSettings(st SettingsStore) Option { return func(svc *Service) { svc.settings = st } }

// Guard is the sentinel, for auth: it refuses sign-in attempts naming a
// blocked account before any password is checked.
type Guard interface {
	// AdmitAccount's error is an [*httpx.Refusal].
	AdmitAccount(ref, account string) error
}

// WithGuard puts the sentinel in front of sign-in attempts.
func WithGuard(g Guard) Option { return func(svc *Service) { svc.guard = g } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(svc *Service) { svc.now = now } }

// WithLimiter sets the rate limiter (default: a [StoreLimiter] over an
// in-process ratelimit store).
func WithLimiter(l Limiter) Option { return func(svc *Service) { svc.limiter = l } }

// Service is the "auth" component.
type Service struct {
	guard   Guard // nil unless WithGuard
	cfg     Config
	tenants Tenants
	// settings keeps the projects' overrides; nil: none.
	settings SettingsStore
	srv      Server
	log      *slog.Logger
	mail     Mailer
	sms      SMSSender
	hasSMS   bool // a sender was given: phone sign-in works beyond the test numbers
	limiter  Limiter
	now      func() time.Time
	// dummyHash is compared against when the user is unknown, so that an
	// unknown email costs what a wrong password does.
	dummyHash []byte

	caches  *caches
	metrics *authMetrics
	// cfgErr is what Validate found in the configuration given to New
	// (before defaults replace zero and negative values); Start returns it.
	cfgErr error
	// cfgKeys are the signing keys of the configuration, read at Start.
	cfgKeys *configKeys

	mu       sync.RWMutex
	projects map[string]*project
	migrated map[string]bool // projects whose auth schema this process brought up to date
}

// project is the auth state of one tenant.
type project struct {
	ref    string
	pool   dbPool
	secret []byte
	keys   *keyring
	// epoch names this state of the project in the tokens cache; a new
	// state (or new signing keys) has a new one.
	epoch atomic.Uint64
	cfg   *Config // the platform's settings with the project's own
}

var _ kernel.Component = (*Service)(nil)

// New returns the auth service.
func New(cfg Config, tenants Tenants, srv Server, log *slog.Logger, opts ...Option) *Service {
	s := &Service{cfg: cfg.withDefaults(), cfgErr: cfg.Validate(), tenants: tenants, srv: srv, log: log, now: time.Now, projects: map[string]*project{}, migrated: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	if s.mail == nil {
		s.mail = &SMTPMailer{cfg: s.cfg.SMTP, log: log}
	}
	s.hasSMS = s.sms != nil
	if s.sms == nil {
		s.sms = logSMS{log: log}
	}
	if s.limiter == nil {
		// In-process buckets, without a sweeper goroutine: full ones are
		// dropped when a shard reaches its bound.
		s.limiter = StoreLimiter{Store: ratelimit.NewMemoryStore(ratelimit.MemoryOptions{SweepInterval: -1, Now: s.now}), Now: s.now}
	}
	s.caches = newCaches()
	s.metrics = newAuthMetrics()
	return s
}

// Name implements [kernel.Component].
func (s *Service) Name() string { return "auth" }

// Requires implements [kernel.Component].
func (s *Service) Requires() []string { return []string{"tenant"} }

// Start checks the settings and reads the configured signing keys, so that
// a bad one stops the boot with its reason rather than failing requests,
// then migrates the auth schema of every project; each project's keys and
// pool are loaded at its first use.
func (s *Service) Start(ctx context.Context) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	keys, err := s.cfg.loadConfigKeys()
	if err != nil {
		return err
	}
	s.cfgKeys = keys
	h, err := bcrypt.GenerateFromPassword([]byte("mobo-dummy-password"), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("preparing the dummy hash: %w", err)
	}
	s.dummyHash = h
	for _, ref := range s.tenants.Refs() {
		db, err := s.tenants.Database(ref)
		if err != nil {
			return err
		}
		if err := s.SetupProject(ctx, ref, s.srv.ConnString(db)); err != nil {
			return err
		}
	}
	return nil
}

// Stop forgets the projects' state (their pools are the tenant's). It is
// idempotent.
func (s *Service) Stop(context.Context) error {
	s.mu.Lock()
	s.projects = map[string]*project{}
	s.mu.Unlock()
	s.caches.close()
	return nil
}

// SetupProject applies the auth schema to a project database; it is the
// tenant setup hook, run at start and when a project is created.
func (s *Service) SetupProject(ctx context.Context, ref, connString string) error {
	if err := s.migrate(ctx, ref, connString); err != nil {
		return err
	}
	s.mu.Lock()
	s.migrated[ref] = true
	s.mu.Unlock()
	return nil
}

// ProjectChanged drops what the service derived from project ref's stored
// state (its JWT secret, the tokens verified with it, its settings); the
// next request loads it anew. It is the tenant change hook.
func (s *Service) ProjectChanged(_ context.Context, ref string) error {
	s.mu.Lock()
	delete(s.projects, ref)
	s.mu.Unlock()
	return nil
}

// ForgetProject closes what the service holds for project ref, so that its
// database can be dropped; it is the tenant teardown hook.
func (s *Service) ForgetProject(_ context.Context, ref, _ string) error {
	s.mu.Lock()
	delete(s.projects, ref)
	delete(s.migrated, ref)
	s.mu.Unlock()
	_ = s.caches.roles.Delete(context.Background(), ref)
	s.metrics.forget(ref)
	return nil
}

// project returns project ref's auth state, migrating its schema and opening
// its pool at first use.
func (s *Service) project(ctx context.Context, ref string) (*project, error) {
	s.mu.RLock()
	p, ok := s.projects[ref]
	s.mu.RUnlock()
	if ok {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.projects[ref]; ok {
		return p, nil
	}
	secret, err := s.tenants.JWTSecret(ref)
	if err != nil {
		return nil, err
	}
	db, err := s.tenants.Database(ref)
	if err != nil {
		return nil, err
	}
	if !s.migrated[ref] {
		if err := s.migrate(ctx, ref, s.srv.ConnString(db)); err != nil {
			return nil, err
		}
		s.migrated[ref] = true
	}
	cfg, _, err := s.projectConfig(ctx, ref)
	if err != nil {
		return nil, err
	}
	p = &project{ref: ref, pool: dbPool{ref: ref, tenants: s.tenants}, secret: []byte(secret), cfg: &cfg}
	p.renew()
	if p.keys, err = s.loadKeyring(ctx, p); err != nil {
		return nil, err
	}
	s.projects[ref] = p
	return p, nil
}

func (s *Service) migrate(ctx context.Context, ref, connString string) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	set, err := Migrations()
	if err != nil {
		return err
	}
	if err := set.Run(ctx, conn, s.log, "auth", "ref", ref); err != nil {
		return fmt.Errorf("project %q: %w", ref, err)
	}
	return nil
}

// audit records an auth event in auth.audit_log_entries, as GoTrue does.
// A failure is logged, not returned: the event already happened.
func (s *Service) audit(ctx context.Context, q querier, ip, action string, actor *user, traits map[string]any) {
	payload := map[string]any{"action": action, "log_type": logType(action)}
	if actor != nil {
		payload["actor_id"] = actor.ID
		payload["actor_username"] = actor.username()
		payload["actor_via_sso"] = false
	}
	if traits != nil {
		payload["traits"] = traits
	}
	b, _ := json.Marshal(payload) // plain maps of strings and bools
	id, _ := newUUID()
	if _, err := q.Exec(ctx, `insert into auth.audit_log_entries (id, payload, ip_address, created_at) values ($1, $2, $3, $4)`,
		id, b, ip, s.now()); err != nil && !errors.Is(err, context.Canceled) {
		s.log.ErrorContext(ctx, "writing the audit log", "action", action, "err", err)
	}
}

func logType(action string) string {
	switch action {
	case "login", "logout", "token_refreshed", "token_revoked", "verification_attempted":
		return "token"
	case "user_signedup", "user_invited", "user_deleted", "user_modified", "user_recovery_requested",
		"user_reauthenticate_requested", "user_confirmation_requested", "user_repeated_signup", "user_updated_password":
		return "user"
	case "factor_in_progress", "factor_unenrolled", "challenge_created", "verification_attempted_mfa", "factor_deleted":
		return "factor"
	}
	return "account"
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// dbPool is a project's service pool, looked up at each use, since the
// tenant opens, reaps and closes it.
type dbPool struct {
	ref     string
	tenants Tenants
}

func (d dbPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	pool, err := d.tenants.ServicePool(ctx, d.ref)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return pool.Exec(ctx, sql, args...)
}

func (d dbPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	pool, err := d.tenants.ServicePool(ctx, d.ref)
	if err != nil {
		return nil, err
	}
	return pool.Query(ctx, sql, args...)
}

func (d dbPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	pool, err := d.tenants.ServicePool(ctx, d.ref)
	if err != nil {
		return errRow{err}
	}
	return pool.QueryRow(ctx, sql, args...)
}

// Begin starts a transaction, for pgx.BeginFunc.
func (d dbPool) Begin(ctx context.Context) (pgx.Tx, error) {
	pool, err := d.tenants.ServicePool(ctx, d.ref)
	if err != nil {
		return nil, err
	}
	return pool.Begin(ctx)
}

// errRow is a row whose query could not be sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
