package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestDBMigrationCommands(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	work := t.TempDir()
	mobo := func(args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(moboBin, append([]string{"--data-dir", dir}, args...)...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// new writes under migrations/ (created) with both markers.
	out, err := mobo("db", "migration", "new", "create_notes")
	if err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	created, _ := filepath.Glob(filepath.Join(work, "migrations", "*_create_notes.sql"))
	if len(created) != 1 || !strings.Contains(out, "created migrations/") {
		t.Fatalf("new created %v:\n%s", created, out)
	}
	if b, _ := os.ReadFile(created[0]); !strings.Contains(string(b), "-- +migrate Up") || !strings.Contains(string(b), "-- +migrate Down") {
		t.Errorf("new file lacks the markers:\n%s", b)
	}
	version := strings.SplitN(filepath.Base(created[0]), "_", 2)[0]
	if len(version) != 14 {
		t.Errorf("version %q is not YYYYMMDDHHMMSS", version)
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	notes := "-- +migrate Up\ncreate table notes (id int primary key, body text);\n\n-- +migrate Down\ndrop table notes;\n"
	write(created[0], notes)
	write(filepath.Join(work, "migrations", "99990101000000_seed.sql"), "insert into notes values (1, 'hi');\n") // no down part

	// Under supabase/migrations, new writes an empty, Supabase-style file.
	supa := filepath.Join(work, "other")
	if err := os.MkdirAll(filepath.Join(supa, "supabase", "migrations"), 0o750); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(moboBin, "db", "migration", "new", "x", "--json")
	cmd.Dir = supa
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), `"path": "supabase/migrations/`) {
		t.Errorf("new in a Supabase project: %v\n%s", err, b)
	}

	s := startServer(t, dir)

	status := func() map[string]string {
		t.Helper()
		out, err := mobo("db", "migration", "status", "--json")
		if err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		var entries []struct{ Version, State string }
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		m := map[string]string{}
		for _, e := range entries {
			m[e.Version] = e.State
		}
		return m
	}
	psql := func(sql string) string {
		t.Helper()
		out, err := mobo("db", "psql", "--", "-tAc", sql)
		if err != nil {
			t.Fatalf("psql -c %q: %v\n%s", sql, err, out)
		}
		return strings.TrimSpace(out)
	}
	if got := status(); got[version] != "pending" || got["99990101000000"] != "pending" {
		t.Errorf("status before up: %v", got)
	}
	out, err = mobo("db", "migration", "up")
	if err != nil || !strings.Contains(out, "applied "+version+"_create_notes") || !strings.Contains(out, "applied 99990101000000_seed") {
		t.Fatalf("up: %v\n%s", err, out)
	}
	if got := psql("select body from notes"); got != "hi" {
		t.Errorf("notes after up: %q", got)
	}
	if got := psql("select current_user || ' ' || (select rolsuper from pg_roles where rolname = current_user)"); got != "default_owner false" {
		t.Errorf("psql runs as %q, want the project's owner role, not a superuser", got)
	}
	out, err = mobo("db", "migration", "status")
	if err != nil || !strings.Contains(out, "VERSION") || strings.Count(out, "applied") != 2 {
		t.Errorf("status table: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "up"); err != nil || !strings.Contains(out, "no pending migrations") {
		t.Errorf("second up: %v\n%s", err, out)
	}

	// An applied file that changed is an error.
	write(created[0], strings.Replace(notes, "body text", "body varchar", 1))
	if out, err := mobo("db", "migration", "up"); err == nil || !strings.Contains(out, "changed") {
		t.Errorf("up with a changed file: %v\n%s", err, out)
	}
	if got := status(); got[version] != "changed" {
		t.Errorf("status of the changed file: %v", got)
	}
	write(created[0], notes)

	// The seed has no down part; repair marks it reverted, then down runs
	// the notes migration's down part.
	if out, err := mobo("db", "migration", "down"); err == nil || !strings.Contains(out, "no down part") {
		t.Errorf("down of a file without down part: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "repair", "--status", "reverted", "99990101000000"); err != nil {
		t.Fatalf("repair: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "down"); err != nil || !strings.Contains(out, "reverted "+version+"_create_notes") {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if got := psql("select to_regclass('notes') is null"); got != "t" {
		t.Errorf("notes still there after down: %q", got)
	}
	if got := status(); got[version] != "pending" || got["99990101000000"] != "pending" {
		t.Errorf("status after down: %v", got)
	}

	// Another project gets its own history and tables; a paused one refuses.
	if out, err := mobo("project", "create", "--ref", "shop"); err != nil {
		t.Fatalf("project create: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "up", "--project", "shop"); err != nil || !strings.Contains(out, "applied 99990101000000_seed") {
		t.Fatalf("up --project shop: %v\n%s", err, out)
	}
	if out, err := mobo("db", "psql", "shop", "--", "-tAc", "select count(*) from notes"); err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("notes in shop: %v\n%s", err, out)
	}
	if got := psql("select to_regclass('notes') is null"); got != "t" {
		t.Errorf("up --project shop touched the default project: %q", got)
	}
	if out, err := mobo("project", "pause", "shop"); err != nil {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "status", "--project", "shop"); err == nil || !strings.Contains(out, "paused") {
		t.Errorf("status of a paused project: %v\n%s", err, out)
	}
	if out, err := mobo("db", "migration", "up", "--project", "nope"); err == nil || !strings.Contains(out, "no such project") {
		t.Errorf("up for an unknown project: %v\n%s", err, out)
	}
	if out, err := mobo("db", "psql", "nope"); err == nil || !strings.Contains(out, "no such project") {
		t.Errorf("psql for an unknown project: %v\n%s", err, out)
	}

	// The connections handed out and the migrations run are in the audit log.
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, clusterURL(t, dir, "mobo"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var actions []string
	if err := conn.QueryRow(ctx, `select array_agg(distinct action order by action) from mobo.audit_log
		where action like 'migration.%' or action = 'db.connection'`).Scan(&actions); err != nil {
		t.Fatal(err)
	}
	want := []string{"db.connection", "migration.down", "migration.repair.reverted", "migration.up"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	s.stop(t, syscall.SIGINT)
}
