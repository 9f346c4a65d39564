package pg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

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
	if IsCode(err, "42P04") { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating database %q: %w", db, err)
	}
	return nil
}

// IsCode reports whether err is a PostgreSQL error with SQLSTATE code.
func IsCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
