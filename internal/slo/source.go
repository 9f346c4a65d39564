package slo

import (
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// The gateway's HTTP metrics, read by name: the engine needs no hook in
// the gateway, only the platform's registry.
const (
	metricRequests = "mobo_http_requests_total"
	metricDuration = "mobo_http_request_duration_seconds"
)

// series is one time series the objectives are computed from, with the
// increase since the previous reading.
type series struct {
	api, project string
	kind         byte    // seriesRequests, seriesCount or seriesBucket
	bad          bool    // a request answered with a 5xx
	le           float64 // a bucket's bound
	delta        float64
}

const (
	seriesRequests byte = iota // mobo_http_requests_total{api,method,code,project}
	seriesCount                // the duration histogram's count{api,project}
	seriesBucket               // one of its buckets{api,project,le}
)

// reader turns readings of cumulative counters into increases. Counters
// only grow, so one that is lower than at the previous reading was reset
// (the process restarted, or a series was dropped and made again): its
// increase is then its whole value, as Prometheus's increase() reads it.
// A series that disappears (a deleted project's) adds nothing; one that
// appears counts whole, since it started at zero after the previous
// reading. The first reading counts whole too: the registry's counters
// start at zero with the process, as the engine does.
type reader struct {
	prev map[string]float64
	next map[string]float64
	out  []series
}

func newReader() *reader { return &reader{prev: map[string]float64{}, next: map[string]float64{}} }

// read returns the increases of the HTTP series in mfs since the previous
// call. The slice is reused by the next call.
func (r *reader) read(mfs []*dto.MetricFamily) []series {
	r.out = r.out[:0]
	clear(r.next)
	var key strings.Builder
	for _, mf := range mfs {
		switch mf.GetName() {
		case metricRequests:
			for _, m := range mf.GetMetric() {
				api, project, code, method := labelsOf(m)
				key.Reset()
				key.WriteString("r\x00")
				key.WriteString(api + "\x00" + project + "\x00" + code + "\x00" + method)
				r.add(key.String(), m.GetCounter().GetValue(), series{api: api, project: project, kind: seriesRequests, bad: strings.HasPrefix(code, "5")})
			}
		case metricDuration:
			for _, m := range mf.GetMetric() {
				api, project, _, _ := labelsOf(m)
				h := m.GetHistogram()
				base := api + "\x00" + project
				r.add("c\x00"+base, float64(h.GetSampleCount()), series{api: api, project: project, kind: seriesCount})
				for _, b := range h.GetBucket() {
					le := b.GetUpperBound()
					if !isBucketBound(le) {
						continue
					}
					r.add("b\x00"+base+"\x00"+formatBound(le), float64(b.GetCumulativeCount()), series{api: api, project: project, kind: seriesBucket, le: le})
				}
			}
		}
	}
	r.prev, r.next = r.next, r.prev
	return r.out
}

func (r *reader) add(key string, v float64, s series) {
	r.next[key] = v
	old, ok := r.prev[key]
	switch {
	case !ok || v < old:
		s.delta = v
	default:
		s.delta = v - old
	}
	if s.delta > 0 {
		r.out = append(r.out, s)
	}
}

func labelsOf(m *dto.Metric) (api, project, code, method string) {
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case "api":
			api = l.GetValue()
		case "project":
			project = l.GetValue()
		case "code":
			code = l.GetValue()
		case "method":
			method = l.GetValue()
		}
	}
	return
}

func isBucketBound(le float64) bool {
	for _, b := range LatencyBuckets {
		if sameBound(b, le) {
			return true
		}
	}
	return false
}

func formatBound(le float64) string {
	for i, b := range LatencyBuckets {
		if sameBound(b, le) {
			return string(rune('A' + i))
		}
	}
	return "?"
}

// matches reports whether series s is about objective o's API and
// project.
func (o *Objective) matches(s *series) bool {
	if o.API == "*" {
		switch s.api {
		case "rest", "graphql", "auth", "realtime":
		default:
			return false
		}
	} else if s.api != o.API {
		return false
	}
	return o.Project == "*" || s.project == o.Project
}

// count adds what s says about objective o to c.
func (o *Objective) count(s *series, c *Counts) {
	if !o.matches(s) {
		return
	}
	switch o.Kind {
	case KindAvailability:
		if s.kind == seriesRequests {
			c.Total += s.delta
			if !s.bad {
				c.Good += s.delta
			}
		}
	case KindLatency:
		switch {
		case s.kind == seriesCount:
			c.Total += s.delta
		case s.kind == seriesBucket && sameBound(s.le, o.Threshold.Seconds()):
			c.Good += s.delta
		}
	}
}
