package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflock/mobo/internal/kernel"
)

type statuses []kernel.ComponentStatus

func (s statuses) Status() []kernel.ComponentStatus { return s }

func TestComponents(t *testing.T) {
	t.Parallel()
	r := New()
	src := statuses{
		{Name: "rest", State: kernel.StateRunning, Healthy: true, Restarts: 0},
		{Name: "realtime", State: kernel.StateRestarting, Restarts: 3},
		{Name: "auth", State: kernel.StateRunning, Healthy: false, Restarts: 1},
	}
	if err := r.Add(Components(src)); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP mobo_component_restarts_total Restarts of the component by the kernel's health monitor since the process started.
# TYPE mobo_component_restarts_total counter
mobo_component_restarts_total{component="auth"} 1
mobo_component_restarts_total{component="realtime"} 3
mobo_component_restarts_total{component="rest"} 0
# HELP mobo_component_up Whether the component is running and healthy (1) or not (0).
# TYPE mobo_component_up gauge
mobo_component_up{component="auth"} 0
mobo_component_up{component="realtime"} 0
mobo_component_up{component="rest"} 1
`
	if err := testutil.GatherAndCompare(r, strings.NewReader(want), "mobo_component_up", "mobo_component_restarts_total"); err != nil {
		t.Error(err)
	}
	// The runtime and process collectors are there too.
	if n, err := testutil.GatherAndCount(r, "go_goroutines", "process_cpu_seconds_total"); err != nil || n != 2 {
		t.Errorf("runtime and process metrics: %d, %v", n, err)
	}
	if err := r.Add(Components(src)); err == nil {
		t.Error("registering the same metrics twice did not fail")
	}
}
