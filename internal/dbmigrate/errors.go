package dbmigrate

import (
	"errors"
	"fmt"
)

// ErrChecksumMismatch is wrapped when an applied migration's file has
// changed since it was applied.
var ErrChecksumMismatch = errors.New("migration file changed after it was applied")

// ErrNoDown is wrapped when a migration to revert has no down part.
var ErrNoDown = errors.New("migration has no down part")

// ErrMissingFile is wrapped when an applied migration to revert, or a
// version to repair as applied, has no file.
var ErrMissingFile = errors.New("no file for migration")

// ErrOutOfOrder is wrapped when a pending migration is older than the newest
// applied one and out-of-order runs were not allowed.
var ErrOutOfOrder = errors.New("pending migration is older than the last applied one")

// ErrNotApplied is wrapped when there is nothing to revert, or a version
// to repair as reverted is not applied.
var ErrNotApplied = errors.New("migration not applied")

// ErrTxEnded is wrapped by a [RunError] when a migration's SQL ended the
// transaction it runs in (COMMIT or ROLLBACK in the file): what ran before
// that is committed, and the migration is not recorded.
var ErrTxEnded = errors.New("the migration ended its transaction (COMMIT or ROLLBACK in the file?); what ran before that is committed and the migration is not recorded")

// ErrBadFile is wrapped by [FileError].
var ErrBadFile = errors.New("invalid migration file")

// FileError reports a migration file that cannot be used: a bad name, a
// misplaced marker, a version used twice.
type FileError struct {
	File string
	Line int // 1-based; 0 when the error is not about one line
	Msg  string
}

func (e *FileError) Error() string {
	where := "migration file " + e.File
	if e.File == "" {
		where = "migration"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d: %s", where, e.Line, e.Msg)
	}
	return where + ": " + e.Msg
}

// Unwrap returns [ErrBadFile].
func (e *FileError) Unwrap() error { return ErrBadFile }

// RunError reports a migration whose SQL failed: the database error is
// wrapped. Its transaction was rolled back.
type RunError struct {
	Version, Name string
	Down          bool
	Err           error
}

func (e *RunError) Error() string {
	op := "applying"
	if e.Down {
		op = "reverting"
	}
	return fmt.Sprintf("%s migration %s_%s: %v", op, e.Version, e.Name, e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }
