package tenant

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dbKeys is the keyring of each test database, by name.
var dbKeys sync.Map

// boot starts a control plane and a manager in external mode on db, as
// `mobo serve --database-url` does.
func boot(t *testing.T, db *pgtest.DB, cfg Config, logs io.Writer) *Manager {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil))
	srv := pgtest.Server(db.ConnString)
	if cfg.Keys == nil { // a restart on db keeps its key, as a data directory does
		k, _ := dbKeys.LoadOrStore(db.Name, secrets.NewRandomKeyring())
		cfg.Keys = k.(*secrets.Keyring)
	}
	cp := controlplane.New(srv, controlplane.Options{ExternalDatabase: db.Name, Keys: cfg.Keys}, log)
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	if cfg.DefaultLoginRole == "" {
		// Roles are cluster-wide and the test server is shared: each test's
		// default project gets a login role of its own.
		cfg.DefaultLoginRole = db.Name + "_login"
	}
	m := New(cfg, cp, srv, db.Name, log)
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBootstrapDefaultProject(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	// An existing application table, as a user moving to mobo would have.
	if _, err := db.Pool.Exec(ctx, `create table public.todos (id int primary key, owner uuid, title text)`); err != nil {
		t.Fatal(err)
	}
	var before string
	if err := db.Pool.QueryRow(ctx, `select string_agg(attname || ':' || atttypid::regtype, ',' order by attnum) from pg_attribute where attrelid = 'public.todos'::regclass and attnum > 0`).Scan(&before); err != nil {
		t.Fatal(err)
	}

	logs := &logBuf{}
	m := boot(t, db, Config{}, logs)
	p, err := m.projects.Project(DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "active" || p.Database != db.Name || len(p.JWTSecret) < 32 {
		t.Fatalf("project = %+v", p)
	}
	if err := m.Health(ctx); err != nil {
		t.Fatal(err)
	}

	// The keys are HS256 JWTs of the project secret with the right role.
	for key, role := range map[string]string{p.AnonKey: RoleAnon, p.ServiceKey: RoleServiceRole} {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(key, claims, func(*jwt.Token) (any, error) { return []byte(p.JWTSecret), nil }, jwt.WithValidMethods([]string{"HS256"}))
		if err != nil {
			t.Fatalf("%s key: %v", role, err)
		}
		if claims["role"] != role || claims["ref"] != DefaultRef {
			t.Errorf("%s key claims = %v", role, claims)
		}
		if _, err := jwt.Parse(key, func(*jwt.Token) (any, error) { return []byte("another secret of enough length......"), nil }); err == nil {
			t.Errorf("%s key verified with another secret", role)
		}
	}

	// The roles exist with the attributes Supabase's have.
	login := m.cfg.DefaultLoginRole
	rows, err := db.Pool.Query(ctx, `select case when rolname = $1 then 'login' else rolname end, rolcanlogin, rolbypassrls, rolinherit
		from pg_roles where rolname in ('anon', 'authenticated', 'service_role', $1) order by 1`, login)
	if err != nil {
		t.Fatal(err)
	}
	type role struct {
		name                   string
		login, bypass, inherit bool
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (role, error) {
		var x role
		return x, r.Scan(&x.name, &x.login, &x.bypass, &x.inherit)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []role{{"anon", false, false, false}, {"authenticated", false, false, false}, {"login", true, false, false}, {"service_role", false, true, false}}
	if len(got) != len(want) {
		t.Fatalf("roles = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("role %+v, want %+v", got[i], want[i])
		}
	}

	// auth.uid() and auth.role() read the request's claims under the switched
	// role, as RLS policies need.
	var uid, r string
	err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select set_config('request.jwt.claims', $1, true)`, `{"sub":"6f1f2c1e-8a51-4a0e-9d52-3f8a2b1c0d9e","role":"authenticated"}`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `set local role authenticated`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `select auth.uid()::text, auth.role()`).Scan(&uid, &r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if uid != "6f1f2c1e-8a51-4a0e-9d52-3f8a2b1c0d9e" || r != "authenticated" {
		t.Errorf("auth.uid() = %q, auth.role() = %q", uid, r)
	}

	// The existing table is untouched; the additions were reported, once.
	var after string
	if err := db.Pool.QueryRow(ctx, `select string_agg(attname || ':' || atttypid::regtype, ',' order by attnum) from pg_attribute where attrelid = 'public.todos'::regclass and attnum > 0`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("todos changed: %s -> %s", before, after)
	}
	if !strings.Contains(logs.String(), "applied project migration") {
		t.Errorf("first boot did not report its additions:\n%s", logs)
	}
	logs2 := &logBuf{}
	m2 := boot(t, db, Config{}, logs2)
	p2, _ := m2.projects.Project(DefaultRef)
	if p2.AnonKey != p.AnonKey || p2.JWTSecret != p.JWTSecret {
		t.Error("second boot changed the keys")
	}
	for _, s := range []string{"added role", "applied", "creating project"} {
		if strings.Contains(logs2.String(), s) {
			t.Errorf("second boot reported %q again:\n%s", s, logs2)
		}
	}
}

func TestPoolLogsInAsAuthenticator(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	m := boot(t, db, Config{}, io.Discard)
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	pool, err := m.conns.Pool(t.Context(), DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.conns.Pool(t.Context(), DefaultRef)
	if err != nil || again != pool {
		t.Fatalf("second Pool call gave another pool (%v)", err)
	}
	var user string
	if err := pool.QueryRow(t.Context(), "select session_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != m.cfg.DefaultLoginRole {
		t.Errorf("pool logs in as %q, want the project's own login role %q", user, m.cfg.DefaultLoginRole)
	}
	var member, inherits, super bool
	err = pool.QueryRow(t.Context(), `select pg_has_role('anon', 'member'), pg_has_role('anon', 'usage'), rolsuper
		from pg_roles where rolname = session_user`).Scan(&member, &inherits, &super)
	if err != nil || !member || inherits || super {
		t.Errorf("login role: member of anon %v, inherits %v, superuser %v (%v); want a non-inheriting, non-superuser member", member, inherits, super, err)
	}
	if _, err := m.conns.Pool(t.Context(), "nope"); err == nil {
		t.Error("pool for an unknown project")
	}
}

func TestJWTSecretFromConfig(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	secret := strings.Repeat("s", 40)
	m := boot(t, db, Config{JWTSecret: secret}, io.Discard)
	p, _ := m.projects.Project(DefaultRef)
	if p.JWTSecret != secret {
		t.Fatalf("secret not taken from config")
	}
	// A token signed elsewhere with the same secret (a project moved from
	// Supabase) is one our secret verifies.
	tok, err := SignRoleKey(secret, "elsewhere", RoleAuthenticated, p.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(p.JWTSecret), nil }); err != nil {
		t.Error(err)
	}
	// Changing the configured secret re-issues the keys.
	secret2 := strings.Repeat("t", 40)
	m2 := boot(t, db, Config{JWTSecret: secret2}, io.Discard)
	p2, _ := m2.projects.Project(DefaultRef)
	if p2.JWTSecret != secret2 || p2.AnonKey == p.AnonKey {
		t.Error("changed secret did not re-issue keys")
	}
	// A secret set by the config is changed there, not rotated.
	if _, err := m2.RotateKeys(t.Context(), DefaultRef); !errors.Is(err, ErrSecretFromConfig) {
		t.Errorf("rotating a configured secret: %v", err)
	}
	if p3, _ := m2.projects.Project(DefaultRef); p3.JWTSecret != secret2 {
		t.Error("the refused rotation changed the secret")
	}
	if err := (Config{JWTSecret: "short"}).Validate(); err == nil {
		t.Error("a short secret was accepted")
	}
}

func TestUnknownProject(t *testing.T) {
	t.Parallel()
	m := New(Config{}, nil, nil, "", slog.New(slog.DiscardHandler))
	if _, err := m.projects.Project("nope"); err == nil {
		t.Error("unknown project found")
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestExistingAuthenticatorIsNotTakenOver(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	taken := db.Name + "_taken"
	if _, err := db.Pool.Exec(t.Context(), "create role "+pgx.Identifier{taken}.Sanitize()+" login password 'users-own'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(context.Background(), "drop role if exists "+pgx.Identifier{taken}.Sanitize())
		_, _ = db.Pool.Exec(context.Background(), "drop role if exists "+pgx.Identifier{"mobo_" + taken}.Sanitize())
	})
	m := boot(t, db, Config{DefaultLoginRole: taken}, io.Discard)
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	pool, err := m.conns.Pool(t.Context(), DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	var user string
	if err := pool.QueryRow(t.Context(), "select session_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != "mobo_"+taken {
		t.Errorf("pool logs in as %q, want mobo's own role", user)
	}
	// The user's role keeps its password.
	cfg := pool.Config().ConnConfig.Copy()
	cfg.User, cfg.Password = taken, "users-own"
	c, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("the existing role's password changed: %v", err)
	}
	c.Close(t.Context())
}

// TestSecretsSealedAtRest: the control plane holds the projects' JWT
// secrets, service keys, role passwords, the admin key and secret settings
// (an SMTP password) only sealed; the audit log shows the patch redacted.
// At start, a value stored in the clear (before sealing existed) and
// values under a previous key are sealed under the current key, after
// which a keyring without the previous key opens everything.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	oldKey, newKey := mustKey(t), mustKey(t)
	oldRing, _ := secrets.NewKeyring(oldKey)
	m := boot(t, db, Config{Keys: oldRing}, io.Discard)
	if _, err := m.settings.PatchAuthSettings(ctx, DefaultRef, []byte(`{"smtp":{"host":"mail.test","pass":"hunter2-smtp"}}`)); err != nil {
		t.Fatal(err)
	}
	p, err := m.projects.Project(DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	plain := []string{p.JWTSecret, p.ServiceKey, "hunter2-smtp"}
	stored := func() []string {
		var secret, service, auth, audit string
		if err := db.Pool.QueryRow(ctx, `select jwt_secret, service_key, auth_settings::text from mobo.projects where ref = $1`, DefaultRef).Scan(&secret, &service, &auth); err != nil {
			t.Fatal(err)
		}
		if err := db.Pool.QueryRow(ctx, `select coalesce(string_agg(detail::text, ' '), '') from mobo.audit_log`).Scan(&audit); err != nil {
			t.Fatal(err)
		}
		rows, _ := db.Pool.Query(ctx, `select value from mobo.settings`)
		settings, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(settings) == 0 {
			t.Fatalf("settings: %v %v", settings, err)
		}
		return append([]string{secret, service, auth, audit}, settings...)
	}
	for i, v := range stored() {
		if (i < 2 || i > 3) && !oldRing.Current(v) { // the columns and every setting
			t.Errorf("stored unsealed: %.40s", v)
		}
		for _, secret := range plain {
			if strings.Contains(v, secret) {
				t.Errorf("a secret is stored in the clear: %.80s", v)
			}
		}
	}
	if s, _ := m.settings.AuthSettings(ctx, DefaultRef); !strings.Contains(string(s), "hunter2-smtp") {
		t.Errorf("the SMTP password does not read back: %s", s)
	}
	// A value in the clear, as before sealing existed; then a new key.
	if _, err := db.Pool.Exec(ctx, `update mobo.projects set jwt_secret = $2 where ref = $1`, DefaultRef, p.JWTSecret); err != nil {
		t.Fatal(err)
	}
	rotated, _ := secrets.NewKeyring(newKey, oldKey)
	boot(t, db, Config{Keys: rotated}, io.Discard)
	newOnly, _ := secrets.NewKeyring(newKey)
	for _, v := range stored()[:2] {
		if !newOnly.Current(v) {
			t.Errorf("not sealed under the new key after start: %.40s", v)
		}
	}
	n := boot(t, db, Config{Keys: newOnly}, io.Discard)
	q, err := n.projects.Project(DefaultRef)
	if err != nil || q.JWTSecret != p.JWTSecret || q.ServiceKey != p.ServiceKey {
		t.Errorf("after the rotation the project reads back changed: %v", err)
	}
	if s, _ := n.settings.AuthSettings(ctx, DefaultRef); !strings.Contains(string(s), "hunter2-smtp") {
		t.Errorf("the SMTP password after the rotation: %s", s)
	}
}

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
