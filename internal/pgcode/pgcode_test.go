package pgcode

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIs(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("inserting: %w", &pgconn.PgError{Code: UniqueViolation})
	if !Is(wrapped, UniqueViolation) {
		t.Error("a wrapped unique violation is not one")
	}
	if Is(wrapped, CheckViolation) || Is(errors.New("23505"), UniqueViolation) || Is(nil, UniqueViolation) {
		t.Error("Is matched what it should not")
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&pgconn.ConnectError{}, true},
		{fmt.Errorf("acquiring: %w", &pgconn.PgError{Code: CannotConnect}), true},
		{&pgconn.PgError{Code: AdminShutdown}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("write failed: %w", syscall.EPIPE), true},
		{fmt.Errorf("failed to deallocate cached statement(s): %w", pgconn.ErrConnClosed), true},
		{&pgconn.PgError{Code: UniqueViolation}, false},
		{&pgconn.PgError{Code: QueryCanceled}, false},
		{errors.New("something else"), false},
		{nil, false},
	} {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
