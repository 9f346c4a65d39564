package metrics

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// gauges flattens what reg gathers: "name{v1,v2}" → value.
func gauges(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			out[key+"}"] = value(m)
		}
	}
	return out
}

// TestPostgreSQL: the server's statistics per database and per slot, and
// mobo_pg_up 0 (not a failed scrape) when PostgreSQL cannot be reached.
func TestPostgreSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := t.Context()
	slot := "metrics_" + db.Name
	if _, err := db.Pool.Exec(ctx, "select pg_create_logical_replication_slot($1, 'pgoutput')", slot); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.Pool.Exec(context.Background(), "select pg_drop_replication_slot($1)", slot) })
	if _, err := db.Pool.Exec(ctx, "create table t (x int); insert into t select generate_series(1, 1000)"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(PostgreSQL(pgtest.Server(pgtest.Cluster(t)), slog.New(slog.DiscardHandler)))
	got := gauges(t, reg)
	if got["mobo_pg_up{}"] != 1 || got["mobo_pg_max_connections{}"] < 1 {
		t.Fatalf("up %v, max_connections %v; want 1 and some: %v", got["mobo_pg_up{}"], got["mobo_pg_max_connections{}"], got)
	}
	for _, name := range []string{"database_size_bytes", "xact_commit_total", "blocks_hit_total"} {
		if v := got["mobo_pg_"+name+"{"+db.Name+"}"]; v <= 0 {
			t.Errorf("mobo_pg_%s{database=%q} = %v, want > 0", name, db.Name, v)
		}
	}
	if _, ok := got["mobo_pg_replication_slot_lag_bytes{"+db.Name+","+slot+"}"]; !ok {
		t.Errorf("no lag for slot %s: %v", slot, got)
	}
	if v, ok := got["mobo_pg_replication_slot_active{"+db.Name+","+slot+"}"]; !ok || v != 0 {
		t.Errorf("slot %s active = %v (%v), want 0", slot, v, ok)
	}

	down := prometheus.NewRegistry()
	down.MustRegister(PostgreSQL(pgtest.Server("postgres://nobody@127.0.0.1:1/postgres?connect_timeout=1"), slog.New(slog.DiscardHandler)))
	if got := gauges(t, down); got["mobo_pg_up{}"] != 0 || len(got) != 1 {
		t.Errorf("with PostgreSQL unreachable: %v, want only mobo_pg_up 0", got)
	}
}
