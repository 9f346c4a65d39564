package realtime

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is the realtime API's metrics, read at scrape time: sockets
// and channels joined per project, and slow clients disconnected.
func (s *Server) Collector() prometheus.Collector { return rtCollector{s} }

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
