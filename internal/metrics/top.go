package metrics

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are one scrape of the exposition, parsed, by family name.
type Families map[string]*dto.MetricFamily

// Top is what `mobo top` shows: traffic between two scrapes, per API and
// per project, with the connection budget and the components' states of
// the later scrape.
type Top struct {
	// Elapsed is the time between the scrapes.
	Elapsed time.Duration
	// APIs and Projects are the traffic, busiest first.
	APIs, Projects []Traffic
	// Budget is the connection budget: budget, held, open.
	Budget, Held, Open float64
	// Down are the components not running; Restarts their restarts in all.
	Down     []string
	Restarts float64
	// Sockets are realtime's open websockets.
	Sockets float64
}

// Traffic is one API's or project's requests between the scrapes.
type Traffic struct {
	Name string
	// Requests and Errors (5xx) per second; MeanMS the mean duration.
	Requests, Errors, MeanMS float64
}

// NewTop compares two scrapes taken elapsed apart.
func NewTop(prev, cur Families, elapsed time.Duration) Top {
	t := Top{
		Elapsed:  elapsed,
		APIs:     traffic(prev, cur, elapsed, "api"),
		Projects: traffic(prev, cur, elapsed, "project"),
		Budget:   sum(cur, "mobo_connections_budget"),
		Held:     sum(cur, "mobo_connections_held"),
		Open:     sum(cur, "mobo_connections_open"),
		Restarts: sum(cur, "mobo_component_restarts_total"),
		Sockets:  sum(cur, "mobo_realtime_sockets"),
	}
	for _, m := range cur["mobo_component_up"].GetMetric() {
		if value(m) == 0 {
			t.Down = append(t.Down, label(m, "component"))
		}
	}
	slices.Sort(t.Down)
	return t
}

// traffic sums the HTTP families by the label by, as rates over elapsed.
func traffic(prev, cur Families, elapsed time.Duration, by string) []Traffic {
	secs := max(elapsed.Seconds(), 1e-3)
	req := delta(prev, cur, "mobo_http_requests_total", by, nil)
	errs := delta(prev, cur, "mobo_http_requests_total", by, func(m *dto.Metric) bool { return len(label(m, "code")) == 3 && label(m, "code")[0] == '5' })
	count := delta(prev, cur, "mobo_http_request_duration_seconds", by, nil)
	total := deltaSum(prev, cur, "mobo_http_request_duration_seconds", by)
	out := make([]Traffic, 0, len(req))
	for name, n := range req {
		if n <= 0 {
			continue
		}
		tr := Traffic{Name: name, Requests: n / secs, Errors: errs[name] / secs}
		if c := count[name]; c > 0 {
			tr.MeanMS = total[name] / c * 1000
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b Traffic) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// delta is the increase of family name's series between the scrapes,
// summed by the label by, over the series keep accepts (nil: all).
func delta(prev, cur Families, name, by string, keep func(*dto.Metric) bool) map[string]float64 {
	out := map[string]float64{}
	before := bySeries(prev[name])
	for _, m := range cur[name].GetMetric() {
		if keep != nil && !keep(m) {
			continue
		}
		d := value(m) - value(before[seriesKey(m)])
		if d < 0 { // the server restarted between the scrapes
			d = value(m)
		}
		out[label(m, by)] += d
	}
	return out
}

// deltaSum is delta over a histogram's sums.
func deltaSum(prev, cur Families, name, by string) map[string]float64 {
	out := map[string]float64{}
	before := bySeries(prev[name])
	for _, m := range cur[name].GetMetric() {
		d := m.GetHistogram().GetSampleSum() - before[seriesKey(m)].GetHistogram().GetSampleSum()
		out[label(m, by)] += math.Max(d, 0)
	}
	return out
}

func bySeries(mf *dto.MetricFamily) map[string]*dto.Metric {
	out := make(map[string]*dto.Metric, len(mf.GetMetric()))
	for _, m := range mf.GetMetric() {
		out[seriesKey(m)] = m
	}
	return out
}

func seriesKey(m *dto.Metric) string {
	var k string
	for _, l := range m.GetLabel() { // the exposition sorts labels by name
		k += l.GetName() + "=" + l.GetValue() + "\x00"
	}
	return k
}

// value is a counter's or gauge's value, or a histogram's sample count.
func value(m *dto.Metric) float64 {
	return m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func sum(f Families, name string) float64 {
	var s float64
	for _, m := range f[name].GetMetric() {
		s += value(m)
	}
	return s
}

// Write prints t as `mobo top` shows it, at most rows projects.
func (t Top) Write(w io.Writer, rows int) error {
	state := "all components running"
	if len(t.Down) > 0 {
		state = fmt.Sprintf("not running: %v", t.Down)
	}
	if _, err := fmt.Fprintf(w, "over %v: %s, %s restarts; connections %s held of %s (%s open); %s realtime sockets\n\n",
		t.Elapsed.Round(time.Millisecond), state, num(t.Restarts), num(t.Held), num(t.Budget), num(t.Open), num(t.Sockets)); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw, "API", t.APIs)
	fmt.Fprintln(tw)
	table(tw, "PROJECT", t.Projects[:min(rows, len(t.Projects))])
	if extra := len(t.Projects) - rows; extra > 0 {
		fmt.Fprintf(tw, "(%d more)\n", extra)
	}
	return tw.Flush()
}

func table(w io.Writer, head string, rows []Traffic) {
	fmt.Fprintf(w, "%s\treq/s\t5xx/s\tmean ms\n", head)
	if len(rows) == 0 {
		fmt.Fprintln(w, "(no requests)\t\t\t")
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\n", r.Name, r.Requests, r.Errors, r.MeanMS)
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Parse reads an exposition in Prometheus' text format.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("reading the metrics: %w", err)
	}
	return mfs, nil
}
