package pgcode

import (
	"errors"
	"fmt"
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
