package tenant

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is the connection budget's and the fair share's metrics,
// read at scrape time (nothing is counted on the request path beyond what
// Stats already keeps). Register it with the platform's registry.
func (c *Connections) Collector() prometheus.Collector { return connCollector{c} }

func connDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("mobo_connections_"+name, help, labels, nil)
}

var (
	descBudget    = connDesc("budget", "Connection slots of the budget in all (PostgreSQL's max_connections less the reserve).")
	descHeld      = connDesc("held", "Connection slots taken: open, dialing or held.")
	descOpen      = connDesc("open", "Pool connections open.")
	descDialing   = connDesc("dialing", "Connection attempts in flight.")
	descHolds     = connDesc("holds", "Long-lived connections (schema listeners) holding a slot.")
	descExhausted = connDesc("exhausted_total", "Requests that waited the connection budget out (answered 503).")
	descProject   = connDesc("project", "Connections of a project: its pools' and its holds.", "project")
	descWaits     = connDesc("share_waits_total", "Requests that waited for a slot of their project's fair share of backends.")
	descBeyond    = connDesc("share_beyond_total", "Requests that waited out their patience and went beyond their project's fair share.")

	poolLabels      = []string{"project", "pool"} // pool: "api" or "service"
	descPoolInUse   = prometheus.NewDesc("mobo_pool_acquired", "Connections of the pool in use.", poolLabels, nil)
	descPoolIdle    = prometheus.NewDesc("mobo_pool_idle", "Connections of the pool open and idle.", poolLabels, nil)
	descPoolMax     = prometheus.NewDesc("mobo_pool_max", "The pool's size limit.", poolLabels, nil)
	descPoolAcq     = prometheus.NewDesc("mobo_pool_acquires_total", "Connections acquired from the pool (since it opened).", poolLabels, nil)
	descPoolEmpty   = prometheus.NewDesc("mobo_pool_empty_acquires_total", "Acquires that found no idle connection and waited for one.", poolLabels, nil)
	descPoolAcqTime = prometheus.NewDesc("mobo_pool_acquire_seconds_total", "Time spent acquiring connections from the pool.", poolLabels, nil)
)

type connCollector struct{ c *Connections }

func (cc connCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descBudget, descHeld, descOpen, descDialing, descHolds, descExhausted, descProject, descWaits, descBeyond,
		descPoolInUse, descPoolIdle, descPoolMax, descPoolAcq, descPoolEmpty, descPoolAcqTime,
	} {
		ch <- d
	}
}

func (cc connCollector) Collect(ch chan<- prometheus.Metric) {
	st := cc.c.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(descBudget, float64(st.Budget))
	gauge(descHeld, float64(st.Held))
	gauge(descOpen, float64(st.Open))
	gauge(descDialing, float64(st.Dialing))
	gauge(descHolds, float64(st.Holds))
	counter(descExhausted, st.Exhausted)
	for ref, n := range st.Projects {
		gauge(descProject, float64(n), ref)
	}
	counter(descWaits, cc.c.share.waits.Load())
	counter(descBeyond, cc.c.share.beyond.Load())
	cc.c.collectPools(ch)
}

// collectPools reports each open pool's use, as pgxpool counts it.
func (c *Connections) collectPools(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for key, p := range c.pools {
		st, kind := p.Stat(), "api"
		if key.service {
			kind = "service"
		}
		m := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
			ch <- prometheus.MustNewConstMetric(d, t, v, key.ref, kind)
		}
		m(descPoolInUse, prometheus.GaugeValue, float64(st.AcquiredConns()))
		m(descPoolIdle, prometheus.GaugeValue, float64(st.IdleConns()))
		m(descPoolMax, prometheus.GaugeValue, float64(st.MaxConns()))
		m(descPoolAcq, prometheus.CounterValue, float64(st.AcquireCount()))
		m(descPoolEmpty, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
		m(descPoolAcqTime, prometheus.CounterValue, st.AcquireDuration().Seconds())
	}
}
