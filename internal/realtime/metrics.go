package realtime

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector is the realtime API's metrics: sockets and channels joined
// per project and slow clients disconnected, read at scrape time, and the
// delivery lag of changes.
func (s *Server) Collector() prometheus.Collector { return rtCollector{s} }

func newLagHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mobo_realtime_delivery_lag_seconds",
		Help:    "Time from a change's commit (PostgreSQL's clock) to its dispatch to the channels' send queues, by project.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"project"})
}

// observeLag records the delivery lag of changes just dispatched live.
func (p *project) observeLag(changes []*Change) {
	o := p.s.lag.WithLabelValues(p.ref)
	now := time.Now()
	for _, c := range changes {
		o.Observe(max(now.Sub(c.Commit), 0).Seconds())
	}
}

var (
	descSockets = prometheus.NewDesc("mobo_realtime_sockets",
		"Realtime websockets open, by project.", []string{"project"}, nil)
	descChannels = prometheus.NewDesc("mobo_realtime_channels",
		"Realtime channels joined (of any kind), by project.", []string{"project"}, nil)
	descSlow = prometheus.NewDesc("mobo_realtime_slow_disconnects_total",
		"Realtime clients disconnected for not reading their messages (send queue full).", nil, nil)
)

type rtCollector struct{ s *Server }

func (c rtCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSockets
	ch <- descChannels
	ch <- descSlow
	c.s.lag.Describe(ch)
}

func (c rtCollector) Collect(ch chan<- prometheus.Metric) {
	sockets, projects := c.s.census()
	for ref, n := range sockets {
		ch <- prometheus.MustNewConstMetric(descSockets, prometheus.GaugeValue, float64(n), ref)
	}
	for ref, p := range projects {
		p.capMu.Lock()
		n := p.users
		p.capMu.Unlock()
		ch <- prometheus.MustNewConstMetric(descChannels, prometheus.GaugeValue, float64(n), ref)
	}
	ch <- prometheus.MustNewConstMetric(descSlow, prometheus.CounterValue, float64(c.s.slowDisconnects.Load()))
	c.s.lag.Collect(ch)
}

// census counts the open sockets per project and copies the projects
// served, under s.mu only (the caller reads each project's channels under
// its own lock, never both locks at once).
func (s *Server) census() (sockets map[string]int, projects map[string]*project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		return nil, nil
	}
	sockets = make(map[string]int)
	for sk := range s.run.sockets {
		sockets[sk.ref]++
	}
	projects = make(map[string]*project, len(s.run.projects))
	for ref, p := range s.run.projects {
		projects[ref] = p
	}
	return sockets, projects
}
