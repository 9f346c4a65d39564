package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/ratelimit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeReady struct {
	mu      sync.Mutex
	failing []string
}

func (f *fakeReady) Ready(context.Context) (bool, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failing) == 0, f.failing
}

func startGateway(t *testing.T, r Readiness) *Gateway {
	t.Helper()
	g := New(Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if r != nil {
		g.SetReadiness(r)
	}
	g.Handle("GET /echo-id", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, httpx.RequestID(r.Context()))
	}))
	g.Handle("GET /rest/v1/{table}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, httpx.ProjectRef(r.Context())+" "+r.PathValue("table"))
	}))
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		if err := g.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return g
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	r := &fakeReady{failing: []string{"postgres", "tenant"}}
	g := startGateway(t, r)

	resp, body := get(t, g.URL()+"/healthz", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}

	resp, body = get(t, g.URL()+"/readyz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz status = %d, want 503", resp.StatusCode)
	}
	var got struct {
		Status  string   `json:"status"`
		Failing []string `json:"failing"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"postgres", "tenant"}, got.Failing); diff != "" {
		t.Errorf("failing (-want +got):\n%s", diff)
	}

	r.mu.Lock()
	r.failing = nil
	r.mu.Unlock()
	resp, body = get(t, g.URL()+"/readyz", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Errorf("readyz = %d %s, want 200 ready", resp.StatusCode, body)
	}
}

func TestReadyzBeforeKernel(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	resp, _ := get(t, g.URL()+"/readyz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without readiness = %d, want 503", resp.StatusCode)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	g := startGateway(t, &fakeReady{})
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"generated", "", false},
		{"kept", "abc-123_x.y", true},
		{"too long", strings.Repeat("a", 65), false},
		{"odd characters", "a b<script>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hdr := map[string]string{}
			if tt.sent != "" {
				hdr[httpx.HeaderRequestID] = tt.sent
			}
			resp, body := get(t, g.URL()+"/echo-id", hdr)
			id := resp.Header.Get(httpx.HeaderRequestID)
			if id == "" || id != body {
				t.Fatalf("header id %q, handler saw %q", id, body)
			}
			if (id == tt.sent) != tt.kept {
				t.Errorf("id %q for sent %q, kept=%v", id, tt.sent, tt.kept)
			}
		})
	}
}

// TestSecurityHeaders: every response carries the browser security headers.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	g := startGateway(t, &fakeReady{})
	for _, path := range []string{"/echo-id", "/healthz", "/nowhere"} {
		resp, _ := get(t, g.URL()+path, nil)
		for h, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
	}
}

func TestStartFailsOnTakenAddress(t *testing.T) {
	t.Parallel()
	g1 := startGateway(t, nil)
	g2 := New(Config{Listen: g1.Addr().String()}, slog.New(slog.DiscardHandler))
	err := g2.Start(t.Context())
	if err == nil {
		_ = g2.Stop(t.Context())
		t.Fatal("second gateway started on a taken address")
	}
	if !strings.Contains(err.Error(), g1.Addr().String()) {
		t.Errorf("error %q does not name the address", err)
	}
	if err := g2.Stop(t.Context()); err != nil { // never started: a no-op
		t.Error(err)
	}
}

type fakeProjects map[string]bool // ref → active

func (f fakeProjects) RequestRate(ref string) string {
	if ref == "limited" {
		return "2/h"
	}
	return ""
}

func (f fakeProjects) ProjectState(ref string) (bool, bool) {
	active, ok := f[ref]
	return ok, active
}

func TestProjectRouting(t *testing.T) {
	t.Parallel()
	g := New(Config{Listen: "127.0.0.1:0", BaseDomain: "mobo.test"}, slog.New(slog.DiscardHandler))
	g.SetProjects(fakeProjects{"shop": true, "sleepy": false})
	g.Handle("GET /rest/v1/{table}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, httpx.ProjectRef(r.Context())+" "+r.PathValue("table"))
	}))
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Stop(context.Background()) })
	tests := []struct {
		name, path, host string
		status           int
		body             string
	}{
		{"root is default", "/rest/v1/todos", "", 200, "default todos"},
		{"path prefix", "/p/shop/rest/v1/todos", "", 200, "shop todos"},
		{"subdomain", "/rest/v1/items", "shop.mobo.test:8000", 200, "shop items"},
		{"unknown project", "/p/nope/rest/v1/todos", "", 404, "project_not_found"},
		{"unknown subdomain", "/rest/v1/todos", "nope.mobo.test", 404, "project_not_found"},
		{"paused project", "/p/sleepy/rest/v1/todos", "", 503, "project_paused"},
		{"admin is not per project", "/p/shop/admin/v1/status", "", 404, "not_found"},
		{"deeper host is not a project", "/rest/v1/todos", "a.shop.mobo.test", 200, "default todos"},
	}
	t.Cleanup(func() {
		// Counted per project: two to shop (path and subdomain); health checks not at all.
		if got := g.Requests("shop"); got != 2 {
			t.Errorf("requests to shop = %d, want 2", got)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, g.URL()+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
				t.Errorf("got %d %q, want %d containing %q", resp.StatusCode, b, tt.status, tt.body)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	cfg := Config{Listen: "127.0.0.1:0", RateLimit: ratelimit.Config{
		Default: map[string]string{"ip": "3/h"},
		Routes:  []ratelimit.RouteRule{{Pattern: "/rest/v1/free", Limits: map[string]string{"ip": ratelimit.Off}}},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := New(cfg, slog.New(slog.DiscardHandler))
	g.SetProjects(fakeProjects{"shop": true, "limited": true})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	g.Handle("/rest/v1/", ok)
	g.Handle("/auth/v1/", ok)
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Stop(context.Background()) })
	codes := func(path string, n int) []int {
		var out []int
		for range n {
			resp, _ := get(t, g.URL()+path, nil)
			out = append(out, resp.StatusCode)
		}
		return out
	}
	// Per IP, per project: the default project's bucket is not shop's.
	if diff := cmp.Diff([]int{200, 200, 200, 429}, codes("/rest/v1/todos", 4)); diff != "" {
		t.Errorf("default project (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{200, 200, 200}, codes("/p/shop/rest/v1/todos", 3)); diff != "" {
		t.Errorf("shop (-want +got):\n%s", diff)
	}
	// A route can lift a default.
	if diff := cmp.Diff([]int{200, 200, 200, 200, 200}, codes("/rest/v1/free", 5)); diff != "" {
		t.Errorf("unlimited route (-want +got):\n%s", diff)
	}
	// A project's own request rate applies on top.
	if diff := cmp.Diff([]int{200, 200, 429}, codes("/p/limited/rest/v1/todos", 3)); diff != "" {
		t.Errorf("limited project (-want +got):\n%s", diff)
	}
	// The 429 speaks the API's format and says when to retry.
	resp, body := get(t, g.URL()+"/rest/v1/todos", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("RateLimit-Limit") == "" ||
		!strings.Contains(body, `"code":"over_request_rate_limit"`) || !strings.Contains(body, `"hint":null`) {
		t.Errorf("REST 429 = %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, g.URL()+"/p/limited/auth/v1/token", nil)
	if resp.StatusCode != 429 || !strings.Contains(body, `"error_code":"over_request_rate_limit"`) || !strings.Contains(body, `"msg"`) {
		t.Errorf("auth 429 = %d %s", resp.StatusCode, body)
	}
	// Health checks are never limited.
	if diff := cmp.Diff([]int{200, 200, 200, 200}, codes("/healthz", 4)); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}
}
