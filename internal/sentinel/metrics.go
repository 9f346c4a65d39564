package sentinel

import (
	"github.com/prometheus/client_golang/prometheus"
)

// sentinelMetrics count what the sentinel sees and does. Labels are
// bounded: agents, labels, scenarios and scopes are fixed sets.
type sentinelMetrics struct {
	findings *prometheus.CounterVec // agent, label, mode
	blocks   *prometheus.CounterVec // scenario, scope
	refusals *prometheus.CounterVec // scope ("request" for one refused value)
}

func newSentinelMetrics() *sentinelMetrics {
	return &sentinelMetrics{
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "mobo", Subsystem: "sentinel", Name: "findings_total",
			Help: "Attacks detected by the sentinel's agents, by agent, label and mode (enforce or shadow).",
		}, []string{"agent", "label", "mode"}),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "mobo", Subsystem: "sentinel", Name: "blocks_total",
			Help: "Blocks put in force, by scenario (manual for an operator's) and scope.",
		}, []string{"scenario", "scope"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "mobo", Subsystem: "sentinel", Name: "refusals_total",
			Help: "Requests the sentinel refused, by what was blocked (ip, net, key, user, session, account) or request for an attack value.",
		}, []string{"scope"}),
	}
}

// Collector is the sentinel's metrics, to register with the platform's
// registry: mobo_sentinel_findings_total, blocks_total, refusals_total,
// and the gauges active_blocks and open_incidents.
func (s *Sentinel) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Sentinel }

var (
	activeBlocksDesc  = prometheus.NewDesc("mobo_sentinel_active_blocks", "Blocks in force.", nil, nil)
	openIncidentsDesc = prometheus.NewDesc("mobo_sentinel_open_incidents", "Incidents not yet closed.", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	c.s.metrics.findings.Describe(ch)
	c.s.metrics.blocks.Describe(ch)
	c.s.metrics.refusals.Describe(ch)
	ch <- activeBlocksDesc
	ch <- openIncidentsDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.s.metrics.findings.Collect(ch)
	c.s.metrics.blocks.Collect(ch)
	c.s.metrics.refusals.Collect(ch)
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(activeBlocksDesc, prometheus.GaugeValue, float64(st.Active))
	ch <- prometheus.MustNewConstMetric(openIncidentsDesc, prometheus.GaugeValue, float64(st.Open))
}
