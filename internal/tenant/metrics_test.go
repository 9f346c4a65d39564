package tenant

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestConnectionsCollector: the budget's metrics are its Stats at scrape
// time, with one series per project holding connections.
func TestConnectionsCollector(t *testing.T) {
	t.Parallel()
	m, _ := bootManaged(t)
	ctx := t.Context()
	pool, err := m.conns.Pool(ctx, DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Acquire(ctx) // held, so that nothing reaps it while we scrape
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.conns.Collector())
	st := m.conns.Stats()
	want := fmt.Sprintf(`
# HELP mobo_connections_budget Connection slots of the budget in all (PostgreSQL's max_connections less the reserve).
# TYPE mobo_connections_budget gauge
mobo_connections_budget %d
# HELP mobo_connections_open Pool connections open.
# TYPE mobo_connections_open gauge
mobo_connections_open %d
# HELP mobo_connections_project Connections of a project: its pools' and its holds.
# TYPE mobo_connections_project gauge
mobo_connections_project{project="default"} %d
# HELP mobo_connections_exhausted_total Requests that waited the connection budget out (answered 503).
# TYPE mobo_connections_exhausted_total counter
mobo_connections_exhausted_total 0
`, st.Budget, st.Open, st.Projects[DefaultRef])
	if st.Budget == 0 || st.Open == 0 || st.Projects[DefaultRef] == 0 {
		t.Fatalf("stats %+v: want a budget and the default project's connection", st)
	}
	names := []string{"mobo_connections_budget", "mobo_connections_open", "mobo_connections_project", "mobo_connections_exhausted_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 15 {
		t.Errorf("%d series, %v; want 15 (one project, one pool)", n, err)
	}
	want = `
# HELP mobo_pool_acquired Connections of the pool in use.
# TYPE mobo_pool_acquired gauge
mobo_pool_acquired{pool="api",project="default"} 1
# HELP mobo_pool_max The pool's size limit.
# TYPE mobo_pool_max gauge
mobo_pool_max{pool="api",project="default"} ` + fmt.Sprint(pool.Stat().MaxConns()) + `
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mobo_pool_acquired", "mobo_pool_max"); err != nil {
		t.Error(err)
	}
}
