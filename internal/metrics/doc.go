// Package metrics holds mobo's Prometheus registry and what no single
// component owns: the Go runtime's and the process's collectors, the
// kernel's component states, and the exposition handler that the admin API
// serves at /admin/v1/metrics (and /metrics) behind the admin key.
//
// It is a library, not a component: components define their own metrics
// next to the code they measure and hand them over as collectors
// (gateway.SetMetrics, tenant's Connections.Collector); cmd/mobo gathers
// them into one [Registry]. The registry is never the global default, so a
// test builds as many as it likes.
//
// A [Registry] is safe for concurrent use; collectors that read state at
// scrape time (the component states) run on the scraping goroutine.
package metrics
