// Package metrics holds mobo's Prometheus registry and what no single
// component owns: the Go runtime's and the process's collectors, the
// kernel's component states ([Components]), PostgreSQL's own statistics
// ([PostgreSQL]) and the exposition handler that the admin API serves at
// /admin/v1/metrics (and /metrics) behind the admin key.
//
// It is a library, not a component: components define their own metrics
// next to the code they measure and hand them over as collectors (the
// gateway's SetMetrics, tenant's Connections.Collector, auth's and
// realtime's Collector); cmd/mobo gathers them into one [Registry]. The
// registry is never the global default, so a test builds as many as it
// likes. Labels are bounded: no path, user, key or query text is ever a
// label; a project is a label only once it exists, and a deleted
// project's series are dropped by its components' teardown hooks.
//
// A [Registry] is safe for concurrent use; collectors that read state at
// scrape time run on the scraping goroutine.
package metrics
