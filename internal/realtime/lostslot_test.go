package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/tenant"
)

// TestSlotInvalidatedByPostgreSQLIsReplaced runs on a cluster of its own
// whose max_slot_wal_keep_size is tiny: while realtime is stopped the
// project's slot falls behind and PostgreSQL invalidates it. At the next
// start the capture replaces the slot, and a channel that joins is told
// that changes were lost, then gets the changes that follow.
func TestSlotInvalidatedByPostgreSQLIsReplaced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Geteuid() == 0 { // postgres's OS user must reach it; t.TempDir makes 0700 directories
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	log := slog.New(slog.DiscardHandler)
	cluster := pg.NewCluster(pg.Config{
		DataDir:  filepath.Join(dir, "pg"),
		Settings: map[string]string{"max_slot_wal_keep_size": "1MB"},
	}, log)
	if err := cluster.Start(t.Context()); err != nil {
		var nf *pg.BinariesNotFoundError
		if errors.As(err, &nf) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	keys := secrets.NewRandomKeyring()
	cp := controlplane.New(cluster, controlplane.Options{Keys: keys}, log)
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	tenants := tenant.New(tenant.Config{Keys: keys, DumpDir: filepath.Join(dir, "dumps")}, cp, cluster, "", log)
	projects := struct {
		*tenant.Projects
		*tenant.Connections
	}{tenants.Projects(), tenants.Connections()}
	rt, err := New(Options{
		Config:   Config{SlotCheckInterval: time.Hour}, // the capture, not the slot check, meets the lost slot
		Projects: projects, DB: cluster, Bus: kernel.NewBus(kernel.BusLogger(log)), Log: log,
		Gate: gate.New(gate.Options{Authenticator: &gate.SecretAuthenticator{Secret: projects.JWTSecret, AnonymousRole: "anon"}, Pools: projects}),
	})
	if err != nil {
		t.Fatal(err)
	}
	tenants.AddSetupHook("realtime", rt.Setup)
	if err := tenants.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tenants.Stop(context.Background()) })
	if err := rt.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Stop(context.Background()) })
	hs := httptest.NewServer(rt.Handler())
	t.Cleanup(hs.Close)
	dbName, err := projects.Database(tenant.DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(t.Context(), cluster.ConnString(dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(todosDDL)
	secret, err := projects.JWTSecret(tenant.DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	key, err := tenant.SignRoleKey(secret, tenant.DefaultRef, "service_role", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/realtime/v1/websocket"}
	join := func() *client {
		c := e.dial(key, "2.0.0")
		c.join("realtime:lost", map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
		}, "")
		return c
	}
	c := join() // creates the slot
	if err := rt.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-c.done
	slotStatus := func() string {
		var status string
		err := db.QueryRow(t.Context(), "select coalesce(wal_status, '') from pg_replication_slots where slot_name = $1", SlotName(dbName)).Scan(&status)
		if err != nil {
			return err.Error()
		}
		return status
	}
	// Nobody decodes: WAL goes by the slot until a checkpoint invalidates it.
	poll(t, "PostgreSQL invalidating the slot", func() bool {
		exec(`insert into todos (title) select 'filler' from generate_series(1, 1000); select pg_switch_wal(); checkpoint`)
		return slotStatus() == "lost"
	})
	if err := rt.Start(t.Context()); err != nil { // resumes the project: its slot exists
		t.Fatal(err)
	}
	poll(t, "a new slot", func() bool { return slotStatus() == "reserved" })
	c = join()
	m := c.next("the changes-lost message", func(m msg) bool {
		return m.Event == evSystem && strings.Contains(string(m.Payload), `"status":"error"`)
	})
	var sys struct{ Message string }
	if err := json.Unmarshal(m.Payload, &sys); err != nil || sys.Message != lostMessage {
		t.Errorf("system message %s", m.Payload)
	}
	exec(`insert into todos (title) values ('after the new slot')`)
	if got := c.nextChange("realtime:lost").Data.Record["title"]; got != "after the new slot" {
		t.Errorf("first change: %v", got)
	}
}
