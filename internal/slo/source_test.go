package slo

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are counters with the gateway's names, labels and buckets,
// for tests that set values the gateway cannot (durations, resets).
type httpMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(t *testing.T) *httpMetrics {
	t.Helper()
	m := &httpMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricRequests, Help: "h"},
			[]string{"api", "method", "code", "project"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricDuration, Help: "h", Buckets: LatencyBuckets},
			[]string{"api", "project"}),
	}
	m.reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) read(t *testing.T, r *reader, o Objective) Counts {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var c Counts
	for _, s := range r.read(mfs) {
		o.count(&s, &c)
	}
	return c
}

func TestReaderCounterResets(t *testing.T) {
	t.Parallel()
	m := newHTTPMetrics(t)
	avail := Objective{Name: "a", API: "rest", Project: "*", Kind: KindAvailability}
	r := newReader()
	m.requests.WithLabelValues("rest", "GET", "200", "default").Add(90)
	m.requests.WithLabelValues("rest", "GET", "500", "default").Add(10)
	m.requests.WithLabelValues("auth", "GET", "500", "default").Add(1000) // another API
	m.requests.WithLabelValues("admin", "GET", "200", "none").Add(1000)   // the platform's own
	steps := []struct {
		name string
		do   func()
		want Counts
	}{
		{"first reading counts whole", func() {}, Counts{Good: 90, Total: 100}},
		{"nothing new", func() {}, Counts{}},
		{"increase", func() {
			m.requests.WithLabelValues("rest", "GET", "200", "default").Add(5)
			m.requests.WithLabelValues("rest", "POST", "503", "shop").Add(2) // a new series counts whole
		}, Counts{Good: 5, Total: 7}},
		{"reset: a counter lower than before counts whole", func() {
			m.requests.Reset() // as after a restart
			m.requests.WithLabelValues("rest", "GET", "200", "default").Add(3)
			m.requests.WithLabelValues("rest", "GET", "500", "default").Add(1)
		}, Counts{Good: 3, Total: 4}},
		{"a deleted series subtracts nothing", func() {
			m.requests.DeletePartialMatch(prometheus.Labels{"project": "default"})
			m.requests.WithLabelValues("rest", "GET", "200", "shop").Add(1)
		}, Counts{Good: 1, Total: 1}},
		{"and counts whole when it comes back", func() {
			m.requests.WithLabelValues("rest", "GET", "200", "default").Add(2)
		}, Counts{Good: 2, Total: 2}},
	}
	for _, s := range steps {
		s.do()
		if got := m.read(t, r, avail); got != s.want {
			t.Errorf("%s: %+v, want %+v", s.name, got, s.want)
		}
	}
}

func TestReaderLatency(t *testing.T) {
	t.Parallel()
	m := newHTTPMetrics(t)
	lat := Objective{Name: "l", API: "*", Project: "shop", Kind: KindLatency, Threshold: 250 * time.Millisecond}
	r := newReader()
	for _, d := range []float64{0.01, 0.1, 0.25, 0.3, 2} {
		m.duration.WithLabelValues("graphql", "shop").Observe(d)
	}
	m.duration.WithLabelValues("rest", "other").Observe(5) // another project
	m.duration.WithLabelValues("admin", "shop").Observe(5) // not an API of "*"
	if got, want := m.read(t, r, lat), (Counts{Good: 3, Total: 5}); got != want {
		t.Errorf("latency = %+v, want %+v", got, want)
	}
	m.duration.Reset()
	m.duration.WithLabelValues("graphql", "shop").Observe(1)
	if got, want := m.read(t, r, lat), (Counts{Good: 0, Total: 1}); got != want {
		t.Errorf("latency after a reset = %+v, want %+v", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Objective{Name: "x", Target: 0.999}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // in the error; "" for none
	}{
		{"zero value", Config{}, ""},
		{"defaults are valid", Config{Objectives: DefaultObjectives(), Alerts: DefaultBurnAlerts()}, ""},
		{"latency on a bucket", Config{Objectives: []Objective{{Name: "l", Kind: KindLatency, Threshold: 250 * time.Millisecond, Target: 0.99}}}, ""},
		{
			"latency off the buckets",
			Config{Objectives: []Objective{{Name: "l", Kind: KindLatency, Threshold: 300 * time.Millisecond, Target: 0.99}}},
			"want one of the duration histogram's bounds: 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2.5s, 5s, 10s, 30s, 1m",
		},
		{"threshold on availability", Config{Objectives: []Objective{{Name: "a", Threshold: time.Second, Target: 0.99}}}, "threshold is for latency"},
		{"target 1", Config{Objectives: []Objective{{Name: "a", Target: 1}}}, "target 1"},
		{"target as percent", Config{Objectives: []Objective{{Name: "a", Target: 99.9}}}, "want a share in (0, 1)"},
		{"api", Config{Objectives: []Objective{{Name: "a", API: "admin", Target: 0.9}}}, `api "admin"`},
		{"kind", Config{Objectives: []Objective{{Name: "a", Kind: "errors", Target: 0.9}}}, `kind "errors"`},
		{"name", Config{Objectives: []Objective{{Name: "a b", Target: 0.9}}}, `name "a b"`},
		{"duplicate", Config{Objectives: []Objective{ok, ok}}, "used twice"},
		{"short window", Config{Objectives: []Objective{{Name: "a", Target: 0.9, Window: time.Minute}}}, "at least 1h"},
		{"alert windows", Config{Alerts: []BurnAlert{{Severity: "page", LongWindow: time.Minute, ShortWindow: time.Hour, BurnRate: 2}}}, "short_window < long_window"},
		{"alert rate", Config{Alerts: []BurnAlert{{Severity: "page", LongWindow: time.Hour, ShortWindow: time.Minute}}}, "burn_rate must be positive"},
		{"receiver without target", Config{Receivers: []Receiver{{Name: "r"}}}, "give a webhook"},
		{"receiver url", Config{Receivers: []Receiver{{Name: "r", Webhook: "ftp://x"}}}, "want an http or https URL"},
		{"email without smtp", Config{Receivers: []Receiver{{Name: "r", Email: []string{"ops@example.com"}}}}, "slo.smtp.host"},
		{"bad email", Config{Receivers: []Receiver{{Name: "r", Email: []string{"not an address"}}}, SMTP: SMTPConfig{Host: "h"}}, `email "not an address"`},
		{"route to nobody", Config{Routes: []Route{{Severity: "page", Receiver: "r"}}}, "a receiver among"},
		{"escalation half-set", Config{Receivers: []Receiver{{Name: "r", Webhook: "http://x"}}, Routes: []Route{{Severity: "page", Receiver: "r", EscalateAfter: time.Minute}}}, "go together"},
		{"escalation to nobody", Config{Receivers: []Receiver{{Name: "r", Webhook: "http://x"}}, Routes: []Route{{Severity: "page", Receiver: "r", EscalateAfter: time.Minute, EscalateTo: "s"}}}, "is not a receiver"},
		{"group by", Config{Group: GroupConfig{By: []string{"code"}}}, `slo.group.by "code"`},
		{"interval", Config{Interval: time.Millisecond}, "at least 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestFmtDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 720 * time.Hour: "30d", 72 * time.Hour: "3d", 10 * time.Second: "10s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzReader drives the HTTP counters through random increases, resets
// and deletions: whatever happens, an objective's cumulative counts never
// go down and never count more good requests than requests, and a reading
// with nothing new adds nothing.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 5, 1, 3, 2, 0, 7, 3, 4})
	f.Add([]byte{2, 2, 2, 0, 255, 1, 255})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m := newHTTPMetrics(t)
		r := newReader()
		objs := []Objective{
			{Name: "a", API: "*", Project: "*", Kind: KindAvailability},
			{Name: "b", API: "rest", Project: "p1", Kind: KindAvailability},
			{Name: "l", API: "*", Project: "*", Kind: KindLatency, Threshold: 100 * time.Millisecond},
		}
		acc := make([]Counts, len(objs))
		codes := []string{"200", "404", "500", "503"}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%5, ops[i+1]
			api, project := []string{"rest", "auth", "admin"}[arg%3], []string{"p1", "p2"}[arg/3%2]
			switch op {
			case 0:
				m.requests.WithLabelValues(api, "GET", codes[arg%4], project).Add(float64(arg))
			case 1:
				m.duration.WithLabelValues(api, project).Observe(float64(arg) / 1000)
			case 2:
				m.requests.Reset()
			case 3:
				m.requests.DeletePartialMatch(prometheus.Labels{"project": project})
				m.duration.DeletePartialMatch(prometheus.Labels{"project": project})
			case 4:
				m.duration.Reset()
			}
			mfs, err := m.reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			deltas := r.read(mfs)
			for j := range objs {
				before := acc[j]
				for k := range deltas {
					objs[j].count(&deltas[k], &acc[j])
				}
				if acc[j].Total < before.Total || acc[j].Good < before.Good || acc[j].Good > acc[j].Total {
					t.Fatalf("objective %s went from %+v to %+v", objs[j].Name, before, acc[j])
				}
			}
			again, _ := m.reg.Gather()
			if d := r.read(again); len(d) != 0 {
				t.Fatalf("a reading with nothing new gave %+v", d)
			}
		}
	})
}

// TestBucketsAreTheGateways: LatencyBuckets must be the bounds of the
// gateway's histogram, or latency thresholds would name buckets that do
// not exist.
func TestBucketsAreTheGateways(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	a.traffic(t, "/rest/v1/x", 1, 0)
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metricDuration {
			continue
		}
		var got []float64
		for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
			got = append(got, b.GetUpperBound())
		}
		if !slices.Equal(got, LatencyBuckets) {
			t.Fatalf("the gateway's buckets are %v, LatencyBuckets %v", got, LatencyBuckets)
		}
		return
	}
	t.Fatalf("no %s in the gateway's metrics", metricDuration)
}
