package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/dbmigrate"
	"github.com/magflock/mobo/internal/pgcode"
	"github.com/magflock/mobo/internal/tenant"
)

// dbAdmin adapts the tenant manager and the PostgreSQL server to what the
// admin API declares for user migrations and direct connections.
type dbAdmin struct {
	m     *tenant.Manager
	srv   interface{ ConnString(string) string }
	audit auditor
	log   *slog.Logger
}

var _ admin.Databases = dbAdmin{}

// auditor records admin actions: the control plane implements it.
type auditor interface {
	Audit(ctx context.Context, actor, action, target string, detail any) error
}

// recordMigrations audits migrations run or repaired. The change is made by
// then, so a failure to record it is logged rather than reported as the
// request's failure.
func (a dbAdmin) recordMigrations(ctx context.Context, action, ref string, versions []string) {
	if len(versions) == 0 {
		return
	}
	if err := a.audit.Audit(context.WithoutCancel(ctx), "admin", action, ref, map[string]any{"versions": versions}); err != nil {
		a.log.Error("recording migrations in the audit log", "ref", ref, "action", action, "err", err)
	}
}

// connect opens a superuser connection to an active project's database.
func (a dbAdmin) connect(ctx context.Context, ref string) (*pgx.Conn, error) {
	p, err := a.m.Project(ref)
	if err != nil {
		return nil, err
	}
	if p.Status == tenant.StatusPaused {
		return nil, fmt.Errorf("project %q: %w", ref, tenant.ErrPaused)
	}
	if p.Status != tenant.StatusActive {
		return nil, clientError{fmt.Errorf("project %q is %s", ref, p.Status), http.StatusConflict}
	}
	cfg, err := pgx.ParseConfig(a.srv.ConnString(p.Database))
	if err != nil {
		return nil, fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	// A project's statement timeout is for its API traffic; an index build
	// in a migration may take longer.
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["application_name"] = "mobo migrate"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	return conn, nil
}

// withMigrations parses files and runs fn on a connection to ref's database.
func (a dbAdmin) withMigrations(ctx context.Context, ref string, files []admin.MigrationFile, fn func(*pgx.Conn, []dbmigrate.Migration) error) error {
	fs := make([]dbmigrate.File, len(files))
	for i, f := range files {
		fs[i] = dbmigrate.File(f)
	}
	migs, err := dbmigrate.Parse(fs)
	if err != nil {
		return mapMigrateError(err)
	}
	conn, err := a.connect(ctx, ref)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Over its size quota the database is read-only; say so rather than
	// let the first statement fail.
	if err := a.m.QuotaError(ref); err != nil {
		return clientError{err, http.StatusConflict}
	}
	return mapMigrateError(fn(conn, migs))
}

func (a dbAdmin) AppliedMigrations(ctx context.Context, ref string) ([]admin.AppliedMigration, error) {
	conn, err := a.connect(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	recs, err := dbmigrate.Applied(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := make([]admin.AppliedMigration, len(recs))
	for i, r := range recs {
		out[i] = admin.AppliedMigration(r)
	}
	return out, nil
}

func (a dbAdmin) MigrateUp(ctx context.Context, ref string, files []admin.MigrationFile, includeAll bool) ([]admin.MigrationRef, error) {
	var done []dbmigrate.Migration
	err := a.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		var err error
		done, err = dbmigrate.Up(ctx, conn, migs, dbmigrate.UpOptions{IncludeAll: includeAll})
		a.recordMigrations(ctx, "migration.up", ref, versionList(done))
		return err
	})
	return refs(done), err
}

func (a dbAdmin) MigrateDown(ctx context.Context, ref string, files []admin.MigrationFile, n int) ([]admin.MigrationRef, error) {
	var done []dbmigrate.Migration
	err := a.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		var err error
		done, err = dbmigrate.Down(ctx, conn, migs, n)
		a.recordMigrations(ctx, "migration.down", ref, versionList(done))
		return err
	})
	return refs(done), err
}

func (a dbAdmin) RepairMigrations(ctx context.Context, ref string, files []admin.MigrationFile, status string, versions []string) error {
	return a.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		if err := dbmigrate.Repair(ctx, conn, migs, dbmigrate.RepairStatus(status), versions); err != nil {
			return err
		}
		a.recordMigrations(ctx, "migration.repair."+status, ref, versions)
		return nil
	})
}

// ProjectConnection gives the role that owns the project's database in
// managed mode, and the served database's own user in external mode (mobo
// made no owner there). The URL is TCP on 127.0.0.1 where the cluster offers
// it, which a client on this machine can reach whoever it runs as; the unix
// socket's directory may not be.
func (a dbAdmin) ProjectConnection(ctx context.Context, ref string) (admin.Connection, error) {
	p, err := a.m.Project(ref)
	if err != nil {
		return admin.Connection{}, err
	}
	// Handing out a password is worth a record; no record, no password.
	if err := a.audit.Audit(ctx, "admin", "db.connection", ref, nil); err != nil {
		return admin.Connection{}, err
	}
	raw := a.srv.ConnString(p.Database)
	if tcp, ok := a.srv.(interface{ TCPConnString(string) string }); ok {
		raw = tcp.TCPConnString(p.Database)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return admin.Connection{}, fmt.Errorf("connection URL of project %q: %w", ref, err)
	}
	c := admin.Connection{Database: p.Database, Superuser: true, User: u.User.Username()}
	c.Password, _ = u.User.Password()
	owner, password, err := a.m.OwnerCredentials(ctx, ref)
	switch {
	case err == nil:
		c.User, c.Password, c.Superuser = owner, password, false
	case !errors.Is(err, tenant.ErrNoOwner):
		return admin.Connection{}, err
	}
	u.User = url.User(c.User)
	c.URL = u.String()
	if b, ok := a.srv.(interface{ BinDir() string }); ok {
		c.BinDir = b.BinDir()
	}
	return c, nil
}

func versionList(migs []dbmigrate.Migration) []string {
	v := make([]string, len(migs))
	for i, m := range migs {
		v[i] = m.Version
	}
	return v
}

func refs(migs []dbmigrate.Migration) []admin.MigrationRef {
	out := make([]admin.MigrationRef, len(migs))
	for i, m := range migs {
		out[i] = admin.MigrationRef{Version: m.Version, Name: m.Name}
	}
	return out
}

// mapMigrateError gives dbmigrate's errors the HTTP status the admin API
// answers with. A migration's own SQL failing is the client's doing (422);
// a lost connection is not.
func mapMigrateError(err error) error {
	var re *dbmigrate.RunError
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dbmigrate.ErrBadFile):
		return clientError{err, http.StatusBadRequest}
	case errors.Is(err, dbmigrate.ErrChecksumMismatch), errors.Is(err, dbmigrate.ErrNoDown),
		errors.Is(err, dbmigrate.ErrMissingFile), errors.Is(err, dbmigrate.ErrOutOfOrder),
		errors.Is(err, dbmigrate.ErrNotApplied):
		return clientError{err, http.StatusConflict}
	case errors.As(err, &re) && (errors.As(err, &pe) || errors.Is(err, dbmigrate.ErrTxEnded)):
		return clientError{err, http.StatusUnprocessableEntity}
	case pgcode.Is(err, pgcode.InvalidCatalogName): // the database vanished under us: deleted meanwhile
		return clientError{err, http.StatusNotFound}
	}
	return err
}
