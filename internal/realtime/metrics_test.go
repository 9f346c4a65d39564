package realtime

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// TestCollector: the sockets open and the channels joined are counted per
// project at scrape time.
func TestCollector(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.rt.Collector())
	a := e.dial(e.token("anon", ""), "2.0.0")
	b := e.dial(e.token("anon", ""), "1.0.0")
	a.join("realtime:room", map[string]any{}, "")
	a.join("realtime:hall", map[string]any{}, "")
	b.join("realtime:room", map[string]any{}, "")
	want := `
# HELP mobo_realtime_channels Realtime channels joined (of any kind), by project.
# TYPE mobo_realtime_channels gauge
mobo_realtime_channels{project="default"} 3
# HELP mobo_realtime_slow_disconnects_total Realtime clients disconnected for not reading their messages (send queue full).
# TYPE mobo_realtime_slow_disconnects_total counter
mobo_realtime_slow_disconnects_total 0
# HELP mobo_realtime_sockets Realtime websockets open, by project.
# TYPE mobo_realtime_sockets gauge
mobo_realtime_sockets{project="default"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestDeliveryLag: each change dispatched live is observed once.
func TestDeliveryLag(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	c := e.dial(e.token("service_role", ""), "2.0.0")
	c.join("realtime:lag", map[string]any{
		"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
	}, "")
	c.next("system subscribed", func(m msg) bool {
		return m.Event == evSystem && strings.Contains(string(m.Payload), "Subscribed to PostgreSQL")
	})
	e.exec(`insert into todos (title) values ('one'), ('two')`)
	c.nextChange("realtime:lag")
	c.nextChange("realtime:lag")
	// The client may read a change before the dispatcher records it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := testutil.CollectAndCount(e.rt.lag)
		h := e.rt.lag.WithLabelValues("default").(prometheus.Histogram) //nolint:forcetypeassert // a HistogramVec's
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetHistogram().GetSampleCount(); n == 1 && got == 2 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d series, %d changes observed; want 1 series of 2", n, got)
		}
	}
}
