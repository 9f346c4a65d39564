package admin

import (
	"net/http"
	"net/http/pprof"
	"runtime/metrics"
)

// Runtime is the Go runtime's side of the status: what the process keeps
// live, so that an operator (and `make bench-projects`) can tell what an
// idle project costs without RSS's noise (the scavenger returns freed
// memory to the OS minutes later, or not at all).
type Runtime struct {
	// HeapLiveBytes is the heap that survived the last garbage collection.
	HeapLiveBytes uint64 `json:"heap_live_bytes"`
	// HeapObjects are the objects in the heap, live or not yet swept.
	HeapObjects uint64 `json:"heap_objects"`
	// Goroutines is the number of goroutines.
	Goroutines uint64 `json:"goroutines"`
	// GCCycles counts the garbage collections so far.
	GCCycles uint64 `json:"gc_cycles"`
	// TotalBytes is all the memory the Go runtime has mapped.
	TotalBytes uint64 `json:"total_bytes"`
}

var runtimeMetrics = []string{
	"/gc/heap/live:bytes", "/gc/heap/objects:objects", "/sched/goroutines:goroutines",
	"/gc/cycles/total:gc-cycles", "/memory/classes/total:bytes",
}

// ReadRuntime samples the Go runtime (no garbage collection is forced).
func ReadRuntime() Runtime {
	s := make([]metrics.Sample, len(runtimeMetrics))
	for i, name := range runtimeMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return Runtime{HeapLiveBytes: v(0), HeapObjects: v(1), Goroutines: v(2), GCCycles: v(3), TotalBytes: v(4)}
}

// mountDebug serves Go's profiles at /admin/v1/debug/pprof/ (behind the
// admin key, as every admin endpoint): heap, goroutine, allocs, block,
// mutex, threadcreate, and a CPU profile (?seconds=N) or trace.
func mountDebug(mux *http.ServeMux) {
	const prefix = "/admin/v1/debug/pprof/"
	mux.HandleFunc("GET "+prefix+"profile", pprof.Profile)
	mux.HandleFunc("GET "+prefix+"trace", pprof.Trace)
	mux.HandleFunc("GET "+prefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc("GET "+prefix+"symbol", pprof.Symbol)
	mux.HandleFunc("GET "+prefix+"{profile}", func(w http.ResponseWriter, r *http.Request) {
		pprof.Handler(r.PathValue("profile")).ServeHTTP(w, r)
	})
	mux.HandleFunc("GET "+prefix, pprof.Index)
}
