package metrics

import (
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, text string) Families {
	t.Helper()
	mfs, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

const topBefore = `# TYPE mobo_http_requests_total counter
mobo_http_requests_total{api="rest",code="200",method="GET",project="default"} 10
mobo_http_requests_total{api="rest",code="500",method="GET",project="default"} 1
# TYPE mobo_http_request_duration_seconds histogram
mobo_http_request_duration_seconds_bucket{api="rest",project="default",le="+Inf"} 11
mobo_http_request_duration_seconds_sum{api="rest",project="default"} 0.11
mobo_http_request_duration_seconds_count{api="rest",project="default"} 11
`

const topAfter = `# TYPE mobo_http_requests_total counter
mobo_http_requests_total{api="rest",code="200",method="GET",project="default"} 30
mobo_http_requests_total{api="rest",code="500",method="GET",project="default"} 5
mobo_http_requests_total{api="auth",code="200",method="POST",project="shop"} 2
# TYPE mobo_http_request_duration_seconds histogram
mobo_http_request_duration_seconds_bucket{api="rest",project="default",le="+Inf"} 35
mobo_http_request_duration_seconds_sum{api="rest",project="default"} 0.59
mobo_http_request_duration_seconds_count{api="rest",project="default"} 35
mobo_http_request_duration_seconds_bucket{api="auth",project="shop",le="+Inf"} 2
mobo_http_request_duration_seconds_sum{api="auth",project="shop"} 0.2
mobo_http_request_duration_seconds_count{api="auth",project="shop"} 2
# TYPE mobo_connections_budget gauge
mobo_connections_budget 90
# TYPE mobo_connections_held gauge
mobo_connections_held 7
# TYPE mobo_connections_open gauge
mobo_connections_open 6
# TYPE mobo_component_up gauge
mobo_component_up{component="rest"} 1
mobo_component_up{component="realtime"} 0
# TYPE mobo_component_restarts_total counter
mobo_component_restarts_total{component="realtime"} 2
# TYPE mobo_realtime_sockets gauge
mobo_realtime_sockets{project="default"} 3
`

// TestTop: rates, 5xx and mean durations per API and project between two
// scrapes, busiest first, with the budget and the components' states.
func TestTop(t *testing.T) {
	t.Parallel()
	top := NewTop(parse(t, topBefore), parse(t, topAfter), 2*time.Second)
	want := []Traffic{{Name: "rest", Requests: 12, Errors: 2, MeanMS: 20}, {Name: "auth", Requests: 1, MeanMS: 100}}
	if len(top.APIs) != 2 || top.APIs[0] != want[0] || top.APIs[1] != want[1] {
		t.Errorf("APIs = %+v, want %+v", top.APIs, want)
	}
	if len(top.Projects) != 2 || top.Projects[0].Name != "default" || top.Projects[1].Name != "shop" {
		t.Errorf("Projects = %+v", top.Projects)
	}
	if top.Budget != 90 || top.Held != 7 || top.Open != 6 || top.Restarts != 2 || top.Sockets != 3 || len(top.Down) != 1 || top.Down[0] != "realtime" {
		t.Errorf("top = %+v", top)
	}
	var b strings.Builder
	if err := top.Write(&b, 1); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"not running: [realtime]", "connections 7 held of 90 (6 open)", "rest  12.0   2.0    20.0", "default  ", "(1 more)"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, b.String())
		}
	}
	// A server restarted between the scrapes counts from zero.
	restarted := NewTop(parse(t, topAfter), parse(t, topBefore), time.Second)
	if restarted.APIs[0].Requests != 11 {
		t.Errorf("after a restart: %+v", restarted.APIs)
	}
}
