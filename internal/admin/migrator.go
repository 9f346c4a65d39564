package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflock/mobo/internal/dbmigrate"
	"github.com/magflock/mobo/internal/pgcode"
)

// ProjectDatabases is what a [Migrator] needs of the tenant component.
type ProjectDatabases interface {
	// AdminConn opens a connection to project ref's database for admin
	// work; errors that are the client's doing (unknown, paused, over its
	// quota) implement HTTPStatus() int.
	AdminConn(ctx context.Context, ref string) (*pgx.Conn, error)
	// DirectConnection returns how a person connects to project ref's
	// database.
	DirectConnection(ctx context.Context, ref string) (Connection, error)
	// QuotaError says why project ref's database is read-only (over its
	// size quota), or is nil.
	QuotaError(ref string) error
}

// Auditor records admin actions (the control plane).
type Auditor interface {
	Audit(ctx context.Context, actor, action, target string, detail any) error
}

// Migrator is the admin API's [Databases]: a project's user migrations run
// with package dbmigrate on an admin connection, each recorded in the audit
// log, and direct connections handed out with a record.
type Migrator struct {
	dbs   ProjectDatabases
	audit Auditor
	log   *slog.Logger
}

var _ Databases = (*Migrator)(nil)

// NewMigrator returns the admin API's migrations over dbs.
func NewMigrator(dbs ProjectDatabases, audit Auditor, log *slog.Logger) *Migrator {
	return &Migrator{dbs: dbs, audit: audit, log: log}
}

// AppliedMigrations implements [Databases].
func (m *Migrator) AppliedMigrations(ctx context.Context, ref string) ([]AppliedMigration, error) {
	conn, err := m.dbs.AdminConn(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	recs, err := dbmigrate.Applied(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := make([]AppliedMigration, len(recs))
	for i, r := range recs {
		out[i] = AppliedMigration(r)
	}
	return out, nil
}

// MigrateUp implements [Databases].
func (m *Migrator) MigrateUp(ctx context.Context, ref string, files []MigrationFile, includeAll bool) ([]MigrationRef, error) {
	var done []dbmigrate.Migration
	err := m.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		var err error
		done, err = dbmigrate.Up(ctx, conn, migs, dbmigrate.UpOptions{IncludeAll: includeAll})
		m.record(ctx, "migration.up", ref, versionList(done))
		return err
	})
	return refs(done), err
}

// MigrateDown implements [Databases].
func (m *Migrator) MigrateDown(ctx context.Context, ref string, files []MigrationFile, n int) ([]MigrationRef, error) {
	var done []dbmigrate.Migration
	err := m.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		var err error
		done, err = dbmigrate.Down(ctx, conn, migs, n)
		m.record(ctx, "migration.down", ref, versionList(done))
		return err
	})
	return refs(done), err
}

// RepairMigrations implements [Databases].
func (m *Migrator) RepairMigrations(ctx context.Context, ref string, files []MigrationFile, status string, versions []string) error {
	return m.withMigrations(ctx, ref, files, func(conn *pgx.Conn, migs []dbmigrate.Migration) error {
		if err := dbmigrate.Repair(ctx, conn, migs, dbmigrate.RepairStatus(status), versions); err != nil {
			return err
		}
		m.record(ctx, "migration.repair."+status, ref, versions)
		return nil
	})
}

// ProjectConnection implements [Databases]. Handing out a password is worth
// a record: no record, no password.
func (m *Migrator) ProjectConnection(ctx context.Context, ref string) (Connection, error) {
	c, err := m.dbs.DirectConnection(ctx, ref)
	if err != nil {
		return Connection{}, err
	}
	if err := m.audit.Audit(ctx, "admin", "db.connection", ref, nil); err != nil {
		return Connection{}, err
	}
	return c, nil
}

// withMigrations parses files and runs fn on an admin connection to ref's
// database.
func (m *Migrator) withMigrations(ctx context.Context, ref string, files []MigrationFile, fn func(*pgx.Conn, []dbmigrate.Migration) error) error {
	fs := make([]dbmigrate.File, len(files))
	for i, f := range files {
		fs[i] = dbmigrate.File(f)
	}
	migs, err := dbmigrate.Parse(fs)
	if err != nil {
		return migrateError(err)
	}
	conn, err := m.dbs.AdminConn(ctx, ref)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Over its size quota the database is read-only; say so rather than
	// let the first statement fail.
	if err := m.dbs.QuotaError(ref); err != nil {
		return statusError{err, http.StatusConflict}
	}
	return migrateError(fn(conn, migs))
}

// record audits migrations run or repaired. The change is made by then, so
// a failure to record it is logged rather than reported as the request's.
func (m *Migrator) record(ctx context.Context, action, ref string, versions []string) {
	if len(versions) == 0 {
		return
	}
	if err := m.audit.Audit(context.WithoutCancel(ctx), "admin", action, ref, map[string]any{"versions": versions}); err != nil {
		m.log.Error("recording migrations in the audit log", "ref", ref, "action", action, "err", err)
	}
}

func versionList(migs []dbmigrate.Migration) []string {
	v := make([]string, len(migs))
	for i, m := range migs {
		v[i] = m.Version
	}
	return v
}

func refs(migs []dbmigrate.Migration) []MigrationRef {
	out := make([]MigrationRef, len(migs))
	for i, m := range migs {
		out[i] = MigrationRef{Version: m.Version, Name: m.Name}
	}
	return out
}

// statusError gives an error the HTTP status the admin API answers with.
type statusError struct {
	err    error
	status int
}

func (e statusError) Error() string   { return e.err.Error() }
func (e statusError) Unwrap() error   { return e.err }
func (e statusError) HTTPStatus() int { return e.status }

// migrateError gives dbmigrate's errors their HTTP status. A migration's
// own SQL failing is the client's doing (422); a lost connection is not.
func migrateError(err error) error {
	var re *dbmigrate.RunError
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dbmigrate.ErrBadFile):
		return statusError{err, http.StatusBadRequest}
	case errors.Is(err, dbmigrate.ErrChecksumMismatch), errors.Is(err, dbmigrate.ErrNoDown),
		errors.Is(err, dbmigrate.ErrMissingFile), errors.Is(err, dbmigrate.ErrOutOfOrder),
		errors.Is(err, dbmigrate.ErrNotApplied):
		return statusError{err, http.StatusConflict}
	case errors.As(err, &re) && (errors.As(err, &pe) || errors.Is(err, dbmigrate.ErrTxEnded)):
		return statusError{err, http.StatusUnprocessableEntity}
	case pgcode.Is(err, pgcode.InvalidCatalogName): // the database vanished under us: deleted meanwhile
		return statusError{fmt.Errorf("the project's database is gone: %w", err), http.StatusNotFound}
	}
	return err
}
