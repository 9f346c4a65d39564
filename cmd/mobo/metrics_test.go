package main

import (
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads path with the admin key (or with key when not empty) and
// parses the answer with Prometheus's text-format parser.
func (s *server) scrape(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.keys(t)["admin key"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: the exposition does not parse: %v", path, err)
	}
	return mfs
}

// value is the value of the series of family name whose labels are
// exactly labels ("k=v,k=v", sorted): a counter's or gauge's value, a
// histogram's sample count; 0 when there is no such series.
func value(mfs map[string]*dto.MetricFamily, name, labels string) float64 {
	for _, m := range mfs[name].GetMetric() {
		kv := make([]string, 0, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			kv = append(kv, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(kv, ",") == labels { // the exposition sorts labels by name
			return m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// TestMetrics scrapes /admin/v1/metrics around known traffic and checks
// the deltas of the HTTP counters, the components' states, that the
// exposition parses, that it needs the admin key, and that no label holds
// a path.
func TestMetrics(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	anon := s.keys(t)["anon key"]
	mustExec(t, projectDB(t, dir, "default"), `
		create table public.todos (id serial primary key, task text);
		grant select on public.todos to anon;
		notify pgrst, 'reload schema';`)
	for deadline := time.Now().Add(30 * time.Second); ; { // until REST sees the table
		if st, _ := s.call(t, "GET", "/rest/v1/todos", anon, anon, ""); st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("REST did not see the new table")
		}
		time.Sleep(50 * time.Millisecond)
	}

	before := s.scrape(t, "/admin/v1/metrics")
	for range 3 {
		s.call(t, "GET", "/rest/v1/todos?select=id", anon, anon, "")
	}
	s.call(t, "GET", "/rest/v1/nosuchtable", anon, anon, "")
	s.call(t, "GET", "/p/nosuchproject/rest/v1/todos", anon, anon, "")
	s.call(t, "POST", "/auth/v1/token?grant_type=password", anon, anon, `{"email":"nobody@example.com","password":"wrong password"}`)
	after := s.scrape(t, "/metrics")

	deltas := []struct {
		name, labels string
		want         float64
	}{
		{"mobo_http_requests_total", "api=rest,code=200,method=GET,project=default", 3},
		{"mobo_http_requests_total", "api=rest,code=404,method=GET,project=default", 1},
		{"mobo_http_requests_total", "api=rest,code=404,method=GET,project=unknown", 1},
		{"mobo_http_requests_total", "api=auth,code=400,method=POST,project=default", 1},
		{"mobo_http_requests_total", "api=admin,code=200,method=GET,project=none", 1}, // the first scrape
		{"mobo_http_request_duration_seconds", "api=rest,project=default", 4},
		{"mobo_http_request_duration_seconds", "api=auth,project=default", 1},
		{"mobo_auth_token_grants_total", "grant=password,project=default,result=invalid_credentials", 1},
	}
	for _, d := range deltas {
		if got := value(after, d.name, d.labels) - value(before, d.name, d.labels); got != d.want {
			t.Errorf("%s{%s} grew by %v, want %v", d.name, d.labels, got, d.want)
		}
	}
	for _, c := range []string{"postgres", "controlplane", "tenant", "admin", "rest", "gateway"} {
		if got := value(after, "mobo_component_up", "component="+c); got != 1 {
			t.Errorf("mobo_component_up{component=%q} = %v, want 1", c, got)
		}
	}
	if value(after, "mobo_connections_budget", "") < 1 || value(after, "mobo_connections_open", "") < 1 ||
		value(after, "mobo_connections_project", "project=default") < 1 {
		t.Errorf("connection budget %v, open %v, default project's %v: want some of each", value(after, "mobo_connections_budget", ""),
			value(after, "mobo_connections_open", ""), value(after, "mobo_connections_project", "project=default"))
	}
	if value(after, "mobo_pg_up", "") != 1 || len(after["mobo_pg_database_size_bytes"].GetMetric()) < 2 {
		t.Errorf("mobo_pg_up %v, database sizes %v: want 1 and the control plane's and the default project's",
			value(after, "mobo_pg_up", ""), after["mobo_pg_database_size_bytes"])
	}
	for _, name := range []string{"mobo_component_restarts_total", "mobo_connections_exhausted_total", "mobo_connections_share_waits_total", "mobo_realtime_slow_disconnects_total", "go_goroutines", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s in the exposition", name)
		}
	}
	for name, mf := range after {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); strings.Contains(v, "/") || strings.Contains(v, "nosuch") || strings.Contains(v, "todos") {
					t.Errorf("%s has label %s=%q: a path", name, l.GetName(), v)
				}
			}
		}
	}
	for path, want := range map[string]int{"/admin/v1/metrics": 401, "/metrics": 401, "/p/default/metrics": 404} {
		if st, _ := s.call(t, "GET", path, anon, anon, ""); st != want {
			t.Errorf("GET %s with a project's key: %d, want %d", path, st, want)
		}
	}

	// mobo top shows the same traffic, per API and project.
	t.Run("top", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(300 * time.Millisecond) // inside top's two scrapes
			for range 5 {
				s.call(t, "GET", "/rest/v1/todos?select=id", anon, anon, "")
			}
		}()
		out, err := exec.Command(moboBin, "--data-dir", dir, "top", "--once", "--interval", "2s").CombinedOutput()
		<-done
		if err != nil {
			t.Fatalf("mobo top: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "all components running") {
			t.Errorf("mobo top does not say the components run:\n%s", out)
		}
		for _, row := range []string{"rest", "default"} { // the API's row and the project's
			m := regexp.MustCompile(`(?m)^` + row + `\s+([0-9.]+)\s`).FindSubmatch(out)
			if len(m) < 2 {
				t.Errorf("mobo top has no row for %s:\n%s", row, out)
				continue
			}
			if rate, err := strconv.ParseFloat(string(m[1]), 64); err != nil || rate <= 0 {
				t.Errorf("mobo top has no request rate for %s:\n%s", row, out)
			}
		}
	})
}
