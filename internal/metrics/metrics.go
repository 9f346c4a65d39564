package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/magflock/mobo/internal/kernel"
)

// Namespace prefixes every metric of mobo's own ("mobo_…").
const Namespace = "mobo"

// Registry is the platform's metrics registry: the Go runtime's and the
// process's collectors and whatever the components register.
type Registry struct {
	*prometheus.Registry
}

// New returns a registry holding the Go runtime and process collectors.
func New() *Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{Registry: r}
}

// Add registers each collector, stopping at the first that fails (a
// duplicate name, for one).
func (r *Registry) Add(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}

// Handler serves the registry in Prometheus's exposition formats (text, or
// what the scraper negotiates). A collector that fails is reported in the
// answer's metrics, not as a 500, so one bad collector hides nothing else.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// StatusSource reports the components' states: the kernel implements it.
type StatusSource interface {
	Status() []kernel.ComponentStatus
}

// Components is a collector of the components' states, read at scrape
// time: mobo_component_up{component} (1 when running and healthy) and
// mobo_component_restarts_total{component}.
func Components(src StatusSource) prometheus.Collector {
	return componentCollector{src: src}
}

var (
	componentUp = prometheus.NewDesc(Namespace+"_component_up",
		"Whether the component is running and healthy (1) or not (0).", []string{"component"}, nil)
	componentRestarts = prometheus.NewDesc(Namespace+"_component_restarts_total",
		"Restarts of the component by the kernel's health monitor since the process started.", []string{"component"}, nil)
)

type componentCollector struct{ src StatusSource }

func (c componentCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- componentUp
	ch <- componentRestarts
}

func (c componentCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.src.Status() {
		up := 0.0
		if s.State == kernel.StateRunning && s.Healthy {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(componentUp, prometheus.GaugeValue, up, s.Name)
		ch <- prometheus.MustNewConstMetric(componentRestarts, prometheus.CounterValue, float64(s.Restarts), s.Name)
	}
}
