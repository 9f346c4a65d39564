package dbmigrate

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Table is where applied migrations are recorded: Supabase CLI's table.
var Table = pgx.Identifier{"supabase_migrations", "schema_migrations"}

// Record is an applied migration as recorded in the project database.
type Record struct {
	Version   string    `json:"version"`
	Name      string    `json:"name"`
	Checksum  string    `json:"checksum,omitempty"`  // "" in rows written by Supabase's CLI
	AppliedAt time.Time `json:"applied_at,omitzero"` // zero in rows written by Supabase's CLI
}

// State is a migration's state in [Entry].
type State string

// States of [Entry].
const (
	StatePending State = "pending" // a file not applied yet
	StateApplied State = "applied" // applied, and the file is unchanged
	StateChanged State = "changed" // applied, but the file changed since: an error for up and down
	StateMissing State = "missing" // applied, but there is no file for it
)

// Entry is one line of a status report.
type Entry struct {
	Version   string    `json:"version"`
	Name      string    `json:"name"`
	State     State     `json:"state"`
	HasDown   bool      `json:"has_down"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

// Compare merges files and records into a status report in version order.
// migs must be sorted, as [Parse] returns them.
func Compare(migs []Migration, applied []Record) []Entry {
	byVersion := make(map[string]Record, len(applied))
	for _, r := range applied {
		byVersion[r.Version] = r
	}
	out := make([]Entry, 0, len(migs)+len(applied))
	for _, m := range migs {
		e := Entry{Version: m.Version, Name: m.Name, State: StatePending, HasDown: m.HasDown}
		if r, ok := byVersion[m.Version]; ok {
			e.State, e.AppliedAt = StateApplied, r.AppliedAt
			if r.Checksum != "" && r.Checksum != m.Checksum {
				e.State = StateChanged
			}
			delete(byVersion, m.Version)
		}
		out = append(out, e)
	}
	for _, r := range byVersion {
		out = append(out, Entry{Version: r.Version, Name: r.Name, State: StateMissing, AppliedAt: r.AppliedAt})
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return CompareVersions(a.Version, b.Version) })
	return out
}

// Applied returns the applied migrations in version order, none when the
// table does not exist yet.
func Applied(ctx context.Context, conn *pgx.Conn) ([]Record, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "select to_regclass($1) is not null", Table.Sanitize()).Scan(&exists); err != nil {
		return nil, fmt.Errorf("looking for %s: %w", Table.Sanitize(), err)
	}
	if !exists {
		return nil, nil
	}
	// Columns of ours may be missing in a table Supabase's CLI made that no
	// runner of ours has touched yet.
	var ours bool
	if err := conn.QueryRow(ctx, `select count(*) = 2 from pg_attribute
		where attrelid = $1::regclass and attname in ('checksum', 'applied_at') and not attisdropped`, Table.Sanitize()).Scan(&ours); err != nil {
		return nil, fmt.Errorf("reading %s: %w", Table.Sanitize(), err)
	}
	cols := "version, coalesce(name, ''), '', null::timestamptz"
	if ours {
		cols = "version, coalesce(name, ''), coalesce(checksum, ''), applied_at"
	}
	rows, err := conn.Query(ctx, "select "+cols+" from "+Table.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", Table.Sanitize(), err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) {
		var rec Record
		var at *time.Time
		err := r.Scan(&rec.Version, &rec.Name, &rec.Checksum, &at)
		if at != nil {
			rec.AppliedAt = *at
		}
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", Table.Sanitize(), err)
	}
	slices.SortFunc(list, func(a, b Record) int { return CompareVersions(a.Version, b.Version) })
	return list, nil
}

// Status reports every file and every applied migration.
func Status(ctx context.Context, conn *pgx.Conn, migs []Migration) ([]Entry, error) {
	applied, err := Applied(ctx, conn)
	if err != nil {
		return nil, err
	}
	return Compare(migs, applied), nil
}

// UpOptions configure [Up].
type UpOptions struct {
	// IncludeAll applies pending migrations older than the newest applied
	// one (as Supabase's `db push --include-all`); without it they are an
	// error ([ErrOutOfOrder]).
	IncludeAll bool
}

// Up applies the pending migrations in version order, each in its own
// transaction, and returns the ones it applied. It stops at the first
// failure, a [*RunError]; the migrations before it stay applied. Before
// running anything it checks that no applied migration's file changed.
func Up(ctx context.Context, conn *pgx.Conn, migs []Migration, o UpOptions) (done []Migration, err error) {
	err = locked(ctx, conn, func() error {
		applied, err := Applied(ctx, conn)
		if err != nil {
			return err
		}
		pending, err := plan(migs, applied, o)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if err := runOne(ctx, conn, m, false); err != nil {
				return err
			}
			done = append(done, m)
		}
		return nil
	})
	if err != nil && len(done) > 0 {
		err = fmt.Errorf("%w (applied before it: %s)", err, versions(done))
	}
	return done, err
}

// plan returns the pending migrations, or an error if an applied file changed
// or a pending one is out of order.
func plan(migs []Migration, applied []Record, o UpOptions) ([]Migration, error) {
	rec := make(map[string]Record, len(applied))
	for _, r := range applied {
		rec[r.Version] = r
	}
	var pending, early []Migration
	for _, m := range migs {
		r, ok := rec[m.Version]
		switch {
		case !ok:
			pending = append(pending, m)
			if len(applied) > 0 && CompareVersions(m.Version, applied[len(applied)-1].Version) < 0 {
				early = append(early, m)
			}
		case r.Checksum != "" && r.Checksum != m.Checksum:
			return nil, fmt.Errorf("migration %s: %w (use repair --status applied %s to accept it as it is)", m.File, ErrChecksumMismatch, m.Version)
		}
	}
	if len(early) > 0 && !o.IncludeAll {
		return nil, fmt.Errorf("%s (last applied %s): %w; apply them anyway with include-all", versions(early), applied[len(applied)-1].Version, ErrOutOfOrder)
	}
	return pending, nil
}

// Down reverts the last n applied migrations (at least one), newest first,
// each in its own transaction, and returns the ones it reverted. Before
// running anything it checks that each has an unchanged file with a down part.
func Down(ctx context.Context, conn *pgx.Conn, migs []Migration, n int) (done []Migration, err error) {
	n = max(n, 1)
	err = locked(ctx, conn, func() error {
		applied, err := Applied(ctx, conn)
		if err != nil {
			return err
		}
		if len(applied) < n {
			return fmt.Errorf("reverting %d migrations with %d applied: %w", n, len(applied), ErrNotApplied)
		}
		files := make(map[string]Migration, len(migs))
		for _, m := range migs {
			files[m.Version] = m
		}
		var todo []Migration
		for _, r := range slices.Backward(applied[len(applied)-n:]) {
			m, ok := files[r.Version]
			switch {
			case !ok:
				return fmt.Errorf("reverting %s_%s: %w", r.Version, r.Name, ErrMissingFile)
			case r.Checksum != "" && r.Checksum != m.Checksum:
				return fmt.Errorf("reverting %s: %w", m.File, ErrChecksumMismatch)
			case !m.HasDown:
				return fmt.Errorf("reverting %s: %w", m.File, ErrNoDown)
			}
			todo = append(todo, m)
		}
		for _, m := range todo {
			if err := runOne(ctx, conn, m, true); err != nil {
				return err
			}
			done = append(done, m)
		}
		return nil
	})
	if err != nil && len(done) > 0 {
		err = fmt.Errorf("%w (reverted before it: %s)", err, versions(done))
	}
	return done, err
}

// RepairStatus is what [Repair] records.
type RepairStatus string

// Repair statuses, as Supabase CLI's `migration repair --status`.
const (
	RepairApplied  RepairStatus = "applied"
	RepairReverted RepairStatus = "reverted"
)

// Repair marks versions applied (recording their files as they are now) or
// reverted, without running them, in one transaction: all or none. A version
// to mark applied needs a file; one to mark reverted must be applied.
func Repair(ctx context.Context, conn *pgx.Conn, migs []Migration, status RepairStatus, vers []string) error {
	if status != RepairApplied && status != RepairReverted {
		return fmt.Errorf("repair status %q: want applied or reverted", status)
	}
	files := make(map[string]Migration, len(migs))
	for _, m := range migs {
		files[m.Version] = m
	}
	return locked(ctx, conn, func() error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, v := range vers {
				if status == RepairReverted {
					tag, err := tx.Exec(ctx, "delete from "+Table.Sanitize()+" where version = $1", v)
					if err != nil {
						return fmt.Errorf("repairing %s: %w", v, err)
					}
					if tag.RowsAffected() == 0 {
						return fmt.Errorf("repairing %s as reverted: %w", v, ErrNotApplied)
					}
					continue
				}
				m, ok := files[v]
				if !ok {
					return fmt.Errorf("repairing %s as applied: %w", v, ErrMissingFile)
				}
				_, err := tx.Exec(ctx, "insert into "+Table.Sanitize()+` as t (version, name, statements, checksum, applied_at)
					values ($1, $2, $3, $4, now())
					on conflict (version) do update set name = excluded.name, statements = excluded.statements,
						checksum = excluded.checksum, applied_at = coalesce(t.applied_at, excluded.applied_at)`,
					m.Version, m.Name, []string{m.Up}, m.Checksum)
				if err != nil {
					return fmt.Errorf("repairing %s: %w", v, err)
				}
			}
			return nil
		})
	})
}

// runOne applies or reverts m and records it, in one transaction.
func runOne(ctx context.Context, conn *pgx.Conn, m Migration, down bool) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		sql := m.Up
		if down {
			sql = m.Down
		}
		if !Blank(sql) {
			// Without arguments pgx sends the text as one simple query, so a
			// file may hold many statements.
			if _, err := tx.Exec(ctx, sql); err != nil {
				return &RunError{Version: m.Version, Name: m.Name, Down: down, Err: err}
			}
		}
		if conn.PgConn().TxStatus() != 'T' {
			return &RunError{Version: m.Version, Name: m.Name, Down: down, Err: ErrTxEnded}
		}
		var err error
		if down {
			_, err = tx.Exec(ctx, "delete from "+Table.Sanitize()+" where version = $1", m.Version)
		} else {
			_, err = tx.Exec(ctx, "insert into "+Table.Sanitize()+" (version, name, statements, checksum, applied_at) values ($1, $2, $3, $4, now())",
				m.Version, m.Name, []string{m.Up}, m.Checksum)
		}
		if err != nil {
			return fmt.Errorf("recording migration %s: %w", m.File, err)
		}
		return nil
	})
	return err
}

// lockKey is the advisory lock of the runners. Advisory locks are per
// database, so each project has its own.
var lockKey = func() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("mobo.dbmigrate")) // hash writes never fail
	return int64(h.Sum64())                  // any 64-bit value is a valid lock key
}()

// locked runs fn holding the session advisory lock on conn, after making
// sure the table exists with our columns.
func locked(ctx context.Context, conn *pgx.Conn, fn func() error) error {
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("locking migrations: %w", err)
	}
	defer func() {
		// A fresh context: ctx may be done, and a lock left held would block
		// the next runner until this connection closes.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "select pg_advisory_unlock($1)", lockKey)
	}()
	if err := ensureTable(ctx, conn); err != nil {
		return err
	}
	return fn()
}

func ensureTable(ctx context.Context, conn *pgx.Conn) error {
	var missing []string
	err := conn.QueryRow(ctx, `select coalesce(array_agg(c) filter (where a.attname is null), '{}')
		from unnest(array['version', 'checksum', 'applied_at']) c
		left join pg_attribute a on a.attrelid = to_regclass($1) and a.attname = c and not a.attisdropped`,
		Table.Sanitize()).Scan(&missing)
	if err != nil {
		return fmt.Errorf("looking for %s: %w", Table.Sanitize(), err)
	}
	var stmt string
	switch {
	case len(missing) == 0:
		return nil
	case slices.Contains(missing, "version"): // no table
		stmt = "create schema if not exists " + pgx.Identifier{Table[0]}.Sanitize() + ";\n" +
			"create table " + Table.Sanitize() + ` (
				version    text primary key,
				statements text[],
				name       text,
				checksum   text,
				applied_at timestamptz
			)`
	default: // Supabase's table: add our columns
		stmt = "alter table " + Table.Sanitize() + " add column if not exists checksum text, add column if not exists applied_at timestamptz"
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("creating %s: %w", Table.Sanitize(), err)
	}
	return nil
}

func versions(migs []Migration) string {
	v := make([]string, len(migs))
	for i, m := range migs {
		v[i] = m.Version
	}
	return strings.Join(v, ", ")
}
