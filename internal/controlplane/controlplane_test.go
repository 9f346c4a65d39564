package controlplane

import (
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/google/go-cmp/cmp"

	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// start runs a control plane in external mode on a fresh database.
func start(t *testing.T) *ControlPlane {
	t.Helper()
	db := pgtest.NewDB(t)
	cp := New(pgtest.Server(db.ConnString), Options{ExternalDatabase: db.Name, Keys: secrets.NewRandomKeyring()}, slog.New(slog.DiscardHandler))
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(t.Context()) })
	return cp
}

func TestStartMigratesOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	log := slog.New(slog.DiscardHandler)
	for range 2 {
		cp := New(pgtest.Server(db.ConnString), Options{ExternalDatabase: db.Name, Keys: secrets.NewRandomKeyring()}, log)
		if err := cp.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := cp.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := cp.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := cp.Stop(t.Context()); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	var n int
	if err := db.Pool.QueryRow(t.Context(), "select count(*) from mobo.controlplane_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	set, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(set.List) {
		t.Errorf("%d migrations recorded, want %d", n, len(set.List))
	}
	if _, err := New(pgtest.Server(db.ConnString), Options{}, log).Pool(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Pool before Start = %v, want ErrNotStarted", err)
	}
}

func TestKV(t *testing.T) {
	t.Parallel()
	cp := start(t)
	ctx := t.Context()
	a, b := cp.KV("realtime"), cp.KV("sentinel")
	if _, err := a.Get(ctx, "slot"); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("Get missing = %v, want ErrNotFound", err)
	}
	for _, k := range []string{"slot/b", "slot/a", "slot_%", "other"} {
		if err := a.Put(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Put(ctx, "slot/a", []byte("new")); err != nil { // overwrite
		t.Fatal(err)
	}
	got, err := a.Get(ctx, "slot/a")
	if err != nil || string(got) != "new" {
		t.Fatalf("Get = %q %v", got, err)
	}
	keys, err := a.List(ctx, "slot/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"slot/a", "slot/b"}, keys); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	// Components do not see each other's keys.
	if _, err := b.Get(ctx, "slot/a"); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("another component read the key: %v", err)
	}
	if err := a.Delete(ctx, "slot/a"); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "slot/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "slot/a"); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
	// Survives a restart of the component.
	if err := cp.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "slot/b"); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Get on a stopped control plane = %v", err)
	}
	if err := cp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, "slot/b"); err != nil || string(got) != "v-slot/b" {
		t.Errorf("after restart Get = %q %v", got, err)
	}
}

func TestSettingRaceAgrees(t *testing.T) {
	t.Parallel()
	cp := start(t)
	var wg sync.WaitGroup
	vals := make([]string, 8)
	for i := range vals {
		wg.Go(func() {
			v, err := cp.Setting(t.Context(), "k", func() (string, error) { return RandomToken(8) })
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		})
	}
	wg.Wait()
	for _, v := range vals {
		if v != vals[0] || v == "" {
			t.Fatalf("settings disagree: %q", vals)
		}
	}
	k1, err := cp.AdminKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := cp.AdminKey(t.Context())
	if k1 != k2 || len(k1) < 40 {
		t.Errorf("admin keys %q %q: want one stable long key", k1, k2)
	}
}

func TestAudit(t *testing.T) {
	t.Parallel()
	cp := start(t)
	if err := cp.Audit(t.Context(), "cli", "project.create", "p1", map[string]any{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	pool, _ := cp.Pool()
	var action, name string
	if err := pool.QueryRow(t.Context(), "select action, detail->>'name' from mobo.audit_log").Scan(&action, &name); err != nil {
		t.Fatal(err)
	}
	if action != "project.create" || name != "x" {
		t.Errorf("audit row %q %q", action, name)
	}
}
