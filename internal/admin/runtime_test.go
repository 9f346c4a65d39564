package admin

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func TestReadRuntime(t *testing.T) {
	t.Parallel()
	runtime.GC() // the live heap is known from the first collection
	r := ReadRuntime()
	if r.HeapLiveBytes == 0 || r.Goroutines == 0 || r.TotalBytes < r.HeapLiveBytes || r.HeapObjects == 0 || r.GCCycles == 0 {
		t.Errorf("runtime sample = %+v", r)
	}
}

// TestProfilesNeedTheAdminKey: Go's profiles are served behind the admin
// key only.
func TestProfilesNeedTheAdminKey(t *testing.T) {
	t.Parallel()
	a := New(Options{Keys: staticKey("k"), Logger: slog.New(slog.DiscardHandler)})
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	for _, tt := range []struct {
		path, key string
		status    int
		has       string
	}{
		{"/admin/v1/debug/pprof/heap?debug=1", "", 401, "admin key"},
		{"/admin/v1/debug/pprof/heap?debug=1", "wrong", 401, "admin key"},
		{"/admin/v1/debug/pprof/heap?debug=1", "k", 200, "heap profile"},
		{"/admin/v1/debug/pprof/goroutine?debug=1", "k", 200, "goroutine profile"},
		{"/admin/v1/debug/pprof/", "k", 200, "heap"},
		{"/admin/v1/debug/pprof/nosuch", "k", 404, "Unknown profile"},
		{"/admin/v1/debug/pprof/cmdline", "", 401, "admin key"},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.has) {
			t.Errorf("%s with key %q: %d %.200s; want %d with %q", tt.path, tt.key, rec.Code, rec.Body.String(), tt.status, tt.has)
		}
	}
}

// TestMetricsNeedTheAdminKey: the metrics are served at /admin/v1/metrics
// and /metrics behind the admin key only, and not at all unless given.
func TestMetricsNeedTheAdminKey(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("mobo_up 1\n")) })
	a := New(Options{Keys: staticKey("k"), Metrics: metrics, Logger: slog.New(slog.DiscardHandler)})
	bare := New(Options{Keys: staticKey("k"), Logger: slog.New(slog.DiscardHandler)})
	for _, api := range []*API{a, bare} {
		if err := api.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		api       *API
		path, key string
		status    int
		has       string
	}{
		{a, "/admin/v1/metrics", "", 401, "admin key"},
		{a, "/metrics", "wrong", 401, "admin key"},
		{a, "/admin/v1/metrics", "k", 200, "mobo_up 1"},
		{a, "/metrics", "k", 200, "mobo_up 1"},
		{bare, "/admin/v1/metrics", "k", 404, "no such admin endpoint"},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		rec := httptest.NewRecorder()
		tt.api.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.has) {
			t.Errorf("%s with key %q: %d %.200s; want %d with %q", tt.path, tt.key, rec.Code, rec.Body.String(), tt.status, tt.has)
		}
	}
}
