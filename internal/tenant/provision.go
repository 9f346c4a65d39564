package tenant

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pgcode"
)

// provisioner makes a project's database what mobo and the components need
// of it (the API roles, the project's login and owner roles, mobo's
// project migrations, then the components' setup hooks) and, before the
// database is dropped, lets the components release what they hold in it
// (the teardown hooks). The roles' names and passwords are recorded in the
// control plane (loginCredentials, ownerCredentials). Its hooks are
// registered before Start and only read after.
type provisioner struct {
	cp        ControlPlane
	srv       Server
	cfg       Config
	external  string // the served database in external mode
	log       *slog.Logger
	setups    []setupHook
	teardowns []setupHook
}

// setup creates the cluster-wide roles if missing, then applies the
// project migrations to the project database.
func (pv *provisioner) setup(ctx context.Context, p *Project) error {
	password, err := pv.cp.Setting(ctx, passwordSetting(p.Ref), func() (string, error) { return randomToken(24) })
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, pv.srv.ConnString(p.Database))
	if err != nil {
		return fmt.Errorf("connecting to project database %q: %w", p.Database, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := pv.ensureRoles(ctx, conn); err != nil {
		return err
	}
	login, err := pv.ensureLoginRole(ctx, conn, p.Ref, password)
	if err != nil {
		return err
	}
	if pv.external == "" {
		if err := pv.ensureOwner(ctx, conn, p); err != nil {
			return err
		}
	}
	db := pgx.Identifier{p.Database}.Sanitize()
	if p.Ref != DefaultRef || pv.external == "" {
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
	if err := set.Run(ctx, conn, pv.log, "project", "ref", p.Ref); err != nil {
		return fmt.Errorf("project %q: %w", p.Ref, err)
	}
	for _, h := range pv.setups {
		if err := h.fn(ctx, p.Ref, pv.srv.ConnString(p.Database)); err != nil {
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

// TeardownHook releases what a component holds in a project database that
// would keep the database from being dropped (a replication slot, say). It
// runs when a project is deleted, before its database is dropped, also when
// a crash interrupted the deletion; it must be idempotent. connString is a
// superuser connection string for the database.
type TeardownHook func(ctx context.Context, ref, connString string) error

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

func (pv *provisioner) ensureRoles(ctx context.Context, conn *pgx.Conn) error {
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
		pv.log.Info("added role", "role", r.name)
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
func (pv *provisioner) ensureLoginRole(ctx context.Context, conn *pgx.Conn, ref, password string) (string, error) {
	name, err := pv.cp.Setting(ctx, loginRoleSetting(ref), func() (string, error) {
		name := LoginRole(ref)
		if ref == DefaultRef && pv.cfg.DefaultLoginRole != "" {
			name = pv.cfg.DefaultLoginRole
		}
		exists, err := roleExists(ctx, conn, name)
		if err != nil {
			return "", err
		}
		if exists { // not ours: never take over a role mobo did not make
			name = "mobo_" + name
			pv.log.Info("a role named like the login role exists already; using a role of mobo's own", "existing", LoginRole(ref), "login_role", name)
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
func (pv *provisioner) ensureOwner(ctx context.Context, conn *pgx.Conn, p *Project) error {
	password, err := pv.cp.Setting(ctx, ownerPasswordSetting(p.Ref), func() (string, error) { return randomToken(24) })
	if err != nil {
		return err
	}
	owner := OwnerRole(p.Ref)
	if p.Ref == DefaultRef && pv.cfg.DefaultLoginRole != "" { // tests: cluster-wide names must not collide
		owner = pv.cfg.DefaultLoginRole + "_owner"
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
	_, err = pv.cp.Setting(ctx, ownerRoleSetting(p.Ref), func() (string, error) { return owner, nil })
	return err
}

func ownerRoleSetting(ref string) string { return "owner_role:" + ref }

// ownerCredentials returns the role owning project ref's database and its
// password, as [provisioner.setup] recorded them, or ErrNoOwner in external mode.
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

// loginCredentials returns the login role mobo owns for project ref and its
// password, both recorded in the control plane by [provisioner.setup].
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

// teardown runs the teardown hooks in reverse order of registration. A
// database that is already gone (a crash after the drop) needs none.
func (pv *provisioner) teardown(ctx context.Context, p *Project) error {
	if len(pv.teardowns) == 0 {
		return nil
	}
	conn, err := pgx.Connect(ctx, pv.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	var exists, allowed bool
	err = conn.QueryRow(ctx, "select true, datallowconn from pg_database where datname = $1", p.Database).Scan(&exists, &allowed)
	_ = conn.Close(context.WithoutCancel(ctx))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	if !allowed { // a paused project
		if err := pv.allowConnections(ctx, p.Database, true); err != nil {
			return fmt.Errorf("deleting project %q: %w", p.Ref, err)
		}
	}
	for i := len(pv.teardowns) - 1; i >= 0; i-- {
		h := pv.teardowns[i]
		if err := h.fn(ctx, p.Ref, pv.srv.ConnString(p.Database)); err != nil {
			return fmt.Errorf("tearing down %s for project %q: %w", h.name, p.Ref, err)
		}
	}
	return nil
}

func (pv *provisioner) allowConnections(ctx context.Context, db string, allow bool) error {
	conn, err := pgx.Connect(ctx, pv.srv.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	v := "false"
	if allow {
		v = "true"
	}
	_, err = conn.Exec(ctx, "alter database "+pgx.Identifier{db}.Sanitize()+" allow_connections "+v)
	return err
}

// dump writes a plain-SQL pg_dump of the project's database under dir.
func (pv *provisioner) dump(ctx context.Context, p *Project, dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no dump directory configured")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating dump directory: %w", err)
	}
	bin := "pg_dump"
	if b, ok := pv.srv.(interface{ BinDir() string }); ok && b.BinDir() != "" {
		if c := filepath.Join(b.BinDir(), "pg_dump"); fileExists(c) {
			bin = c
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.sql", p.Ref, time.Now().UTC().Format("20060102T150405Z")))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating dump file: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--dbname", pv.srv.ConnString(p.Database))
	cmd.Stdout = f
	out := &limitedBuffer{max: 4096}
	cmd.Stderr = out
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("dumping project %q: %w: %s", p.Ref, err, out.String())
	}
	pv.log.Info("project dumped", "ref", p.Ref, "path", path)
	return path, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
