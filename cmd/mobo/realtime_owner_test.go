package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRealtimeForOwnersTables: as on Supabase, the project's owner role
// (mobo db psql) turns realtime on for its tables with alter publication
// supabase_realtime add table …, and may create publications of its own;
// the table's changes then reach a postgres_changes channel.
func TestRealtimeForOwnersTables(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	service := s.keys(t)["service_role key"]
	psql := func(sql string) string {
		t.Helper()
		b, err := exec.Command(moboBin, "--data-dir", dir, "db", "psql", "--", "-v", "ON_ERROR_STOP=1", "-tAc", sql).CombinedOutput()
		out := string(b)
		if err != nil {
			t.Fatalf("psql -c %q: %v\n%s", sql, err, out)
		}
		return strings.TrimSpace(out)
	}
	psql("create table public.notes (id serial primary key, body text)")
	psql("alter publication supabase_realtime add table public.notes")
	psql("create publication my_notes for table public.notes")
	if got := psql("select count(*) from pg_publication_tables where tablename = 'notes'"); got != "2" {
		t.Fatalf("notes is in %s publications, want 2", got)
	}

	c := dialRT(t, s, service)
	cfg := map[string]any{"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "notes"}}}
	if c == nil || !c.join(t, "realtime:notes", cfg, service) {
		t.Fatal("could not subscribe to the changes of notes")
	}
	psql("insert into public.notes (body) values ('hello from the owner')")
	if _, ok := c.await(20*time.Second, func(m rtMsg) bool {
		return m.Event == "postgres_changes" && strings.Contains(string(m.Payload), "hello from the owner")
	}); !ok {
		t.Fatal("the owner's insert did not reach the channel")
	}
}
