// Package controlplane owns mobo's own database: the catalogue of projects and
// their secrets, platform settings, the per-component key-value store and the
// audit log.
//
// In managed mode the control plane is a database named "mobo" in the
// managed cluster; in external mode (--database-url) it is a schema named
// "mobo" inside the served database, so mobo adds nothing outside it but
// that schema and its roles. The schema is versioned by the migrations in
// migrations/, applied at Start.
//
// [ControlPlane] is safe for concurrent use once started. Its pool is
// created in Start and closed in Stop.
package controlplane

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/migrate"
	"github.com/magflock/mobo/internal/secrets"
)

// Database is the control plane's database in managed mode.
const Database = "mobo"

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the control plane's schema migrations.
func Migrations() (*migrate.Set, error) {
	return migrate.Load(migrationsFS, "migrations", pgx.Identifier{"mobo", "controlplane_migrations"})
}

// Server is what the control plane needs from PostgreSQL: a superuser
// connection string for a database. Both the managed cluster and an external
// server provide it.
type Server interface {
	ConnString(database string) string
	// CreateDatabase creates database db unless it exists.
	CreateDatabase(ctx context.Context, db string) error
}

// Options select the mode.
type Options struct {
	// ExternalDatabase, when set, is the served database of an external
	// server: the control plane lives in its "mobo" schema. Empty means
	// managed mode: a database of its own.
	ExternalDatabase string
	// Keys seal the settings' values (the admin key, role passwords) at
	// rest. Required.
	Keys *secrets.Keyring
}

// ControlPlane is the "controlplane" component.
type ControlPlane struct {
	srv  Server
	opts Options
	log  *slog.Logger

	mu   sync.RWMutex
	pool *pgxpool.Pool
}

var (
	_ kernel.Component     = (*ControlPlane)(nil)
	_ kernel.HealthChecker = (*ControlPlane)(nil)
	_ kernel.Resetter      = (*ControlPlane)(nil)
)

// New returns the control plane component; it connects in Start.
func New(srv Server, opts Options, log *slog.Logger) *ControlPlane {
	return &ControlPlane{srv: srv, opts: opts, log: log}
}

// Name implements [kernel.Component].
func (c *ControlPlane) Name() string { return "controlplane" }

// Requires implements [kernel.Component].
func (c *ControlPlane) Requires() []string { return []string{"postgres"} }

// Managed reports whether the control plane has a database of its own.
func (c *ControlPlane) Managed() bool { return c.opts.ExternalDatabase == "" }

// Start creates the control database if needed, connects and migrates it,
// and seals the settings not sealed under the current key.
func (c *ControlPlane) Start(ctx context.Context) error {
	if c.opts.Keys == nil {
		return errors.New("the control plane needs a keyring to seal its secrets")
	}
	db := c.opts.ExternalDatabase
	if db == "" {
		db = Database
		if err := c.srv.CreateDatabase(ctx, db); err != nil {
			return err
		}
	}
	pool, err := pgxpool.New(ctx, c.srv.ConnString(db))
	if err != nil {
		return fmt.Errorf("connecting to the control plane: %w", err)
	}
	if err := c.migrate(ctx, pool); err != nil {
		pool.Close()
		return err
	}
	if err := c.reseal(ctx, pool); err != nil {
		pool.Close()
		return err
	}
	c.mu.Lock()
	c.pool = pool
	c.mu.Unlock()
	return nil
}

func (c *ControlPlane) migrate(ctx context.Context, pool *pgxpool.Pool) error {
	set, err := Migrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connecting to the control plane: %w", err)
	}
	defer conn.Release()
	return set.Run(ctx, conn.Conn(), c.log, "control plane")
}

// Stop closes the pool. It is idempotent.
func (c *ControlPlane) Stop(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pool != nil {
		c.pool.Close()
		c.pool = nil
	}
	return nil
}

// Reset implements kernel.Resetter: after PostgreSQL restarted, the pool's
// connections are stale; it drops them and opens new ones as needed.
func (c *ControlPlane) Reset(context.Context) {
	if pool, err := c.Pool(); err == nil {
		pool.Reset()
	}
}

// Health pings the control database.
func (c *ControlPlane) Health(ctx context.Context) error {
	pool, err := c.Pool()
	if err != nil {
		return err
	}
	return pool.Ping(ctx)
}

// ErrNotStarted is returned when the control plane is used before Start or after Stop.
var ErrNotStarted = errors.New("control plane not started")

// Pool returns the control plane's pool.
func (c *ControlPlane) Pool() (*pgxpool.Pool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.pool == nil {
		return nil, ErrNotStarted
	}
	return c.pool, nil
}

// Setting returns a platform setting, creating it with create() on first use.
// Concurrent first uses (several nodes booting) agree on one value.
func (c *ControlPlane) Setting(ctx context.Context, key string, create func() (string, error)) (string, error) {
	pool, err := c.Pool()
	if err != nil {
		return "", err
	}
	var v string
	err = pool.QueryRow(ctx, "select value from mobo.settings where key = $1", key).Scan(&v)
	if err == nil {
		return c.opts.Keys.Open(secrets.SettingPlace(key), v)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("reading setting %q: %w", key, err)
	}
	nv, err := create()
	if err != nil {
		return "", fmt.Errorf("creating setting %q: %w", key, err)
	}
	sealed, err := c.opts.Keys.Seal(secrets.SettingPlace(key), nv)
	if err != nil {
		return "", err
	}
	// On a race the first writer wins and everyone reads its value back.
	err = pool.QueryRow(ctx, `insert into mobo.settings (key, value) values ($1, $2)
		on conflict (key) do update set key = excluded.key returning value`, key, sealed).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("storing setting %q: %w", key, err)
	}
	return c.opts.Keys.Open(secrets.SettingPlace(key), v)
}

// reseal seals every setting that is not sealed under the current key
// (stored before sealing existed, or before a key rotation).
func (c *ControlPlane) reseal(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, "select key, value from mobo.settings")
	if err != nil {
		return fmt.Errorf("reading settings: %w", err)
	}
	type kv struct{ key, value string }
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kv, error) {
		var e kv
		return e, r.Scan(&e.key, &e.value)
	})
	if err != nil {
		return fmt.Errorf("reading settings: %w", err)
	}
	for _, e := range all {
		v, changed, err := c.opts.Keys.Reseal(secrets.SettingPlace(e.key), e.value)
		if err != nil {
			return fmt.Errorf("setting %q: %w", e.key, err)
		}
		if changed {
			if _, err := pool.Exec(ctx, "update mobo.settings set value = $2, updated_at = now() where key = $1 and value = $3", e.key, v, e.value); err != nil {
				return fmt.Errorf("sealing setting %q: %w", e.key, err)
			}
		}
	}
	return nil
}

// AdminKey returns the control plane's admin key, generating it at first boot.
// It authorises /admin/v1 and the CLI.
func (c *ControlPlane) AdminKey(ctx context.Context) (string, error) {
	return c.Setting(ctx, "admin_key", func() (string, error) {
		s, err := RandomToken(32)
		return "mobo_admin_" + s, err
	})
}

// Audit records an event in the audit log.
func (c *ControlPlane) Audit(ctx context.Context, actor, action, target string, detail any) error {
	pool, err := c.Pool()
	if err != nil {
		return err
	}
	if detail == nil {
		detail = map[string]any{}
	}
	_, err = pool.Exec(ctx, "insert into mobo.audit_log (actor, action, target, detail) values ($1, $2, $3, $4)", actor, action, target, detail)
	if err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	return nil
}

// RandomToken returns n random bytes from crypto/rand, URL-safe base64 encoded.
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
