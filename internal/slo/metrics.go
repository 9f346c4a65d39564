package slo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is the engine's numbers at its latest evaluation, to register
// with the platform's registry (not the one the engine reads), for
// dashboards: mobo_slo_sli{objective,window}, mobo_slo_burn_rate{objective,window},
// mobo_slo_budget_remaining{objective} and mobo_slo_alert_firing{objective,severity}
// (1 firing, 0 not; pending is 0). Labels are bounded by the
// configuration.
func (e *Engine) Collector() prometheus.Collector { return collector{e} }

type collector struct{ e *Engine }

var (
	sliDesc = prometheus.NewDesc("mobo_slo_sli",
		"Share of good requests of an objective over a window (the objective's own window is \"budget\").", []string{"objective", "window"}, nil)
	burnDesc = prometheus.NewDesc("mobo_slo_burn_rate",
		"How fast an objective's error budget burns over a window: 1 spends it in exactly the objective's window.", []string{"objective", "window"}, nil)
	budgetDesc = prometheus.NewDesc("mobo_slo_budget_remaining",
		"Share of an objective's error budget left over its window (negative: overspent).", []string{"objective"}, nil)
	firingDesc = prometheus.NewDesc("mobo_slo_alert_firing",
		"Whether an objective's alert of a severity is firing.", []string{"objective", "severity"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sliDesc
	ch <- burnDesc
	ch <- budgetDesc
	ch <- firingDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, o := range c.e.Objectives() {
		ch <- prometheus.MustNewConstMetric(sliDesc, prometheus.GaugeValue, o.SLI, o.Name, "budget")
		ch <- prometheus.MustNewConstMetric(budgetDesc, prometheus.GaugeValue, o.BudgetRemaining, o.Name)
		for _, w := range o.BurnRates {
			ch <- prometheus.MustNewConstMetric(sliDesc, prometheus.GaugeValue, w.SLI, o.Name, w.Window)
			ch <- prometheus.MustNewConstMetric(burnDesc, prometheus.GaugeValue, w.BurnRate, o.Name, w.Window)
		}
	}
	for _, a := range c.e.Alerts(true) {
		v := 0.0
		if a.State == StateFiring {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(firingDesc, prometheus.GaugeValue, v, a.Objective, a.Severity)
	}
}
