// Package kernel is mobo's motherboard: it boots [Component]s in dependency
// order, watches their health, restarts those that fail and stops everything
// in reverse order. It also provides what components share without knowing
// each other: the event [Bus], the [Cache] and [KV] interfaces, configuration
// loading ([Load]) and logging ([NewLogger]).
//
// The kernel imports no component; components import the kernel and meet
// through the bus or small interfaces their consumers declare.
//
// Concurrency: [Kernel.Start] and [Kernel.Stop] are called from one goroutine;
// the health monitor runs one goroutine per [HealthChecker] between them, and
// Stop waits for those. [Kernel.Status] and [Kernel.Ready] are safe from any
// goroutine. The bus and caches are safe for concurrent use.
package kernel
