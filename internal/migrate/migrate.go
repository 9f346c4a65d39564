// Package migrate applies the platform's own versioned SQL migrations (the
// control plane's schema, the schemas mobo adds to each project database).
//
// Migrations are files named NNNN_name.sql in an fs.FS, applied in version
// order, each in its own transaction together with its record in a tracking
// table (version, name, sha-256 checksum, time). An applied migration whose
// file has changed is an error, never a silent re-run. A session-level
// advisory lock serialises concurrent runners (several mobo nodes booting at
// once), so each migration is applied exactly once.
//
// User migrations (`mobo db migration …`) are a different feature with their
// own package.
package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrChecksumMismatch is wrapped when an applied migration's file has changed.
var ErrChecksumMismatch = errors.New("migration changed after it was applied")

// Migration is one versioned SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string // hex sha-256 of SQL
}

// Applied is the record of one applied migration.
type Applied struct {
	Version   int
	Name      string
	Checksum  string
	AppliedAt time.Time
}

// Set is an ordered list of migrations tracked in one table.
type Set struct {
	// Table is the tracking table, schema-qualified (e.g. mobo.controlplane_migrations).
	Table pgx.Identifier
	List  []Migration
}

// Load reads the NNNN_name.sql files of dir in fsys.
func Load(fsys fs.FS, dir string, table pgx.Identifier) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	s := &Set{Table: table}
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration version %d used twice: %q and %q", v, prev, e.Name())
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %q: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		s.List = append(s.List, Migration{Version: v, Name: name, SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(s.List, func(a, b Migration) int { return a.Version - b.Version })
	return s, nil
}

// Fingerprint identifies the set's content: test templates built from it are
// reused only while it is unchanged.
func (s *Set) Fingerprint() string {
	h := sha256.New()
	for _, m := range s.List {
		fmt.Fprintf(h, "%d:%s:%s\n", m.Version, m.Name, m.Checksum)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Up applies every migration not yet recorded and returns the ones it applied.
// It holds a session advisory lock on conn for the duration.
func (s *Set) Up(ctx context.Context, conn *pgx.Conn) ([]Migration, error) {
	table := s.Table.Sanitize()
	lockKey := s.lockKey()
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return nil, fmt.Errorf("locking migrations: %w", err)
	}
	defer func() {
		// Unlock with a fresh context: ctx may be cancelled, and a held lock
		// would block the next runner until this connection closes.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "select pg_advisory_unlock($1)", lockKey)
	}()

	if len(s.Table) == 2 {
		if _, err := conn.Exec(ctx, "create schema if not exists "+pgx.Identifier{s.Table[0]}.Sanitize()); err != nil {
			return nil, fmt.Errorf("creating schema for %s: %w", table, err)
		}
	}
	if _, err := conn.Exec(ctx, `create table if not exists `+table+` (
		version    integer primary key,
		name       text not null,
		checksum   text not null,
		applied_at timestamptz not null default now()
	)`); err != nil {
		return nil, fmt.Errorf("creating %s: %w", table, err)
	}
	applied, err := s.applied(ctx, conn)
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, m := range s.List {
		if a, ok := applied[m.Version]; ok {
			if a.Checksum != m.Checksum {
				return done, fmt.Errorf("migration %04d_%s (table %s): %w", m.Version, m.Name, table, ErrChecksumMismatch)
			}
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "insert into "+table+" (version, name, checksum) values ($1, $2, $3)", m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("applying migration %04d_%s: %w", m.Version, m.Name, err)
		}
		done = append(done, m)
	}
	return done, nil
}

// Run applies the pending migrations on conn like [Set.Up], logging each one
// applied as "applied <what> migration" with its version, name and attrs.
// It wraps an error with what was being migrated.
func (s *Set) Run(ctx context.Context, conn *pgx.Conn, log *slog.Logger, what string, attrs ...any) error {
	applied, err := s.Up(ctx, conn)
	for _, m := range applied {
		log.Info("applied "+what+" migration", append([]any{"version", m.Version, "name", m.Name}, attrs...)...)
	}
	if err != nil {
		return fmt.Errorf("migrating %s: %w", what, err)
	}
	return nil
}

// Status returns the applied migrations recorded in the tracking table.
func (s *Set) Status(ctx context.Context, conn *pgx.Conn) ([]Applied, error) {
	m, err := s.applied(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := make([]Applied, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Applied) int { return a.Version - b.Version })
	return out, nil
}

func (s *Set) applied(ctx context.Context, conn *pgx.Conn) (map[int]Applied, error) {
	rows, err := conn.Query(ctx, "select version, name, checksum, applied_at from "+s.Table.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.Table.Sanitize(), err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Applied, error) {
		var a Applied
		err := r.Scan(&a.Version, &a.Name, &a.Checksum, &a.AppliedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.Table.Sanitize(), err)
	}
	m := make(map[int]Applied, len(list))
	for _, a := range list {
		m[a.Version] = a
	}
	return m, nil
}

func (s *Set) lockKey() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("mobo.migrate:" + strings.Join(s.Table, "."))) // hash writes never fail
	return int64(h.Sum64())                                              //nolint:gosec // any 64-bit value is a valid lock key
}
