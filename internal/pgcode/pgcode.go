// Package pgcode names the PostgreSQL error codes (SQLSTATE) mobo acts on
// and tells them apart in errors, so that no component needs another to
// read an error.
package pgcode

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

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

// Codes of a server that cannot serve now.
const (
	AdminShutdown = "57P01" // the backend was terminated
	CrashShutdown = "57P02"
	CannotConnect = "57P03" // starting up, shutting down or in recovery
)

// Unavailable reports whether err says PostgreSQL cannot serve now rather
// than that the request was wrong: no connection could be made (the server
// down, starting or in recovery), or the server ended the connection
// (shutdown, crash, a terminated backend, a connection exception). Such a
// request may be retried.
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case AdminShutdown, CrashShutdown, CannotConnect:
			return true
		}
		return strings.HasPrefix(pe.Code, "08")
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
