package realtime

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
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
