package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pgcode"
)

// CreateDatabase creates database db in the managed cluster unless it
// exists.
func (c *Cluster) CreateDatabase(ctx context.Context, db string) error {
	return CreateDatabase(ctx, c.ConnString("postgres"), db)
}

// CreateDatabase creates database db on the external server unless it
// exists (mobo's role needs CREATEDB).
func (e *External) CreateDatabase(ctx context.Context, db string) error {
	return CreateDatabase(ctx, e.ConnString("postgres"), db)
}

// CreateDatabase creates database db unless it exists, connecting with
// maintenanceConnString (a superuser connection to any other database).
// Concurrent callers are fine: a duplicate_database error from a racing
// creator counts as success.
func CreateDatabase(ctx context.Context, maintenanceConnString, db string) error {
	conn, err := pgx.Connect(ctx, maintenanceConnString)
	if err != nil {
		return fmt.Errorf("connecting to create database %q: %w", db, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "select exists (select from pg_database where datname = $1)", db).Scan(&exists); err != nil {
		return fmt.Errorf("looking up database %q: %w", db, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "create database "+pgx.Identifier{db}.Sanitize())
	if pgcode.Is(err, pgcode.DuplicateDatabase) { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating database %q: %w", db, err)
	}
	return nil
}
