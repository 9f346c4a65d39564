// Package pgcode names the PostgreSQL error codes (SQLSTATE) mobo acts on
// and tells them apart in errors, so that no component needs another to
// read an error.
package pgcode

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes, as PostgreSQL's errcodes appendix names them.
const (
	ReadOnlySQLTransaction = "25006"
	InvalidCatalogName     = "3D000" // the database does not exist
	InsufficientPrivilege  = "42501"
	DuplicateObject        = "42710"
	DuplicateDatabase      = "42P04"
	UniqueViolation        = "23505"
	ForeignKeyViolation    = "23503"
	CheckViolation         = "23514"
	QueryCanceled          = "57014"
)

// Is reports whether err is, or wraps, a PostgreSQL error with SQLSTATE
// code.
func Is(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}
