package realtime

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/migrate"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the realtime schema added to every project database.
func Migrations() (*migrate.Set, error) {
	return migrate.Load(migrationsFS, "migrations", pgx.Identifier{"mobo", "realtime_migrations"})
}

// Publication names: supabase_realtime is the user's (tables join it);
// messagesPublication carries realtime.messages inserts for broadcast from
// the database.
const (
	Publication         = "supabase_realtime"
	messagesPublication = "mobo_realtime_messages"
)

// SlotName is the replication slot of a database. Slots are cluster-wide
// objects bound to one database, so the name is derived from the database's.
func SlotName(database string) string {
	h := sha256.Sum256([]byte(database))
	return "mobo_realtime_" + hex.EncodeToString(h[:8])
}

// Setup is the tenant setup hook: it migrates the realtime schema of project
// ref's database. It starts no capture: the project's first channel join
// creates the slot and starts it, so an idle project holds no replication
// slot nor connection.
func (s *Server) Setup(ctx context.Context, ref, connString string) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	set, err := Migrations()
	if err != nil {
		return err
	}
	if err := set.Run(ctx, conn, s.log, "realtime", "ref", ref); err != nil {
		return fmt.Errorf("project %q: %w", ref, err)
	}
	return nil
}

// Teardown is the tenant teardown hook: it stops project ref's capture and
// drops its replication slot and publications, so the database can be dropped.
func (s *Server) Teardown(ctx context.Context, ref, connString string) error {
	s.stopProject(ref)
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var db string
	if err := conn.QueryRow(ctx, "select current_database()").Scan(&db); err != nil {
		return fmt.Errorf("tearing down realtime of project %q: %w", ref, err)
	}
	if err := dropSlot(ctx, conn, SlotName(db)); err != nil {
		return fmt.Errorf("tearing down realtime of project %q: %w", ref, err)
	}
	for _, pub := range []string{Publication, messagesPublication} {
		if _, err := conn.Exec(ctx, "drop publication if exists "+pgx.Identifier{pub}.Sanitize()); err != nil {
			return fmt.Errorf("dropping publication %s of project %q: %w", pub, ref, err)
		}
	}
	return nil
}

// dropSlot drops a slot, ending the walsender that holds it if any (another
// node's, or ours still shutting down).
func dropSlot(ctx context.Context, conn *pgx.Conn, slot string) error {
	for attempt := 0; ; attempt++ {
		var active *int32
		err := conn.QueryRow(ctx, "select active_pid from pg_replication_slots where slot_name = $1", slot).Scan(&active)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if active != nil {
			if _, err := conn.Exec(ctx, "select pg_terminate_backend($1)", *active); err != nil {
				return err
			}
		}
		_, err = conn.Exec(ctx, "select pg_drop_replication_slot($1)", slot)
		if err == nil || attempt >= 50 {
			return err
		}
		select { // the walsender takes a moment to release the slot
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
