package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSetHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    Decision
		want http.Header
	}{
		{"no limit", Decision{Allowed: true}, http.Header{}},
		{"allowed", Decision{Allowed: true, Limit: 100, Remaining: 99, Reset: 10 * time.Millisecond}, http.Header{
			"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"99"}, "Ratelimit-Reset": {"1"},
		}},
		{"full", Decision{Allowed: true, Limit: 5, Remaining: 5}, http.Header{
			"Ratelimit-Limit": {"5"}, "Ratelimit-Remaining": {"5"}, "Ratelimit-Reset": {"0"},
		}},
		{"denied rounds up", Decision{Limit: 10, RetryAfter: 2500 * time.Millisecond, Reset: time.Hour}, http.Header{
			"Ratelimit-Limit": {"10"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"3600"}, "Retry-After": {"3"},
		}},
		{"denied for under a second says 1", Decision{Limit: 10, RetryAfter: time.Millisecond, Reset: time.Millisecond}, http.Header{
			"Ratelimit-Limit": {"10"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1"}, "Retry-After": {"1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			SetHeaders(h, tt.d)
			if diff := cmp.Diff(tt.want, h); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// gotrueDeny writes Supabase Auth's 429, as the auth component would.
func gotrueDeny(w http.ResponseWriter, _ *http.Request, _ Decision) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": 429, "error_code": "over_request_rate_limit", "msg": "Request rate limit reached"})
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	policy, err := Config{
		Default: map[string]string{"ip": "2/s"},
		Routes: []RouteRule{
			{Pattern: "POST /auth/v1/token", Limits: map[string]string{"ip": "1/h"}},
			{Pattern: "/health", Limits: map[string]string{"ip": Off}},
		},
	}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	keyFunc := func(r *http.Request) []Key {
		return policy.Keys(r.Method, r.URL.Path, func(dim string) string {
			if dim == "ip" {
				return IPKey(ClientIP(r, trusted))
			}
			return ""
		})
	}

	type request struct {
		method, path, remote, xff string
		status                    int
		body                      string // fragment
		headers                   map[string]string
	}
	tests := []struct {
		name string
		deny func(http.ResponseWriter, *http.Request, Decision)
		reqs []request
	}{
		{"route limit, GoTrue body", gotrueDeny, []request{
			{"POST", "/auth/v1/token", "192.0.2.1:1000", "", 200, "ok", map[string]string{"RateLimit-Limit": "1", "RateLimit-Remaining": "0", "RateLimit-Reset": "3600"}},
			{"POST", "/auth/v1/token", "192.0.2.1:1001", "", 429, `"error_code":"over_request_rate_limit"`, map[string]string{"Retry-After": "3600", "RateLimit-Remaining": "0"}},
			{"POST", "/auth/v1//token/", "192.0.2.1:1001", "", 429, "over_request_rate_limit", nil},
			{"POST", "/auth/v1/token", "192.0.2.2:1000", "", 200, "ok", nil},
			// The route's bucket is its own: the default one is untouched.
			{"GET", "/rest/v1/todos", "192.0.2.1:1000", "", 200, "ok", map[string]string{"RateLimit-Limit": "2", "RateLimit-Remaining": "1"}},
		}},
		{"default 429 and forwarded clients", nil, []request{
			{"GET", "/rest/v1/x", "10.0.0.1:1", "198.51.100.7", 200, "ok", nil},
			{"GET", "/rest/v1/x", "10.0.0.2:1", "198.51.100.7", 200, "ok", nil},
			{"GET", "/rest/v1/x", "10.0.0.1:1", "203.0.113.9, 198.51.100.7", 429, "Too Many Requests", map[string]string{"Retry-After": "1"}},
			// An untrusted peer's X-Forwarded-For is ignored.
			{"GET", "/rest/v1/x", "198.51.100.7:1", "192.0.2.55", 429, "Too Many Requests", nil},
		}},
		{"off route is not limited", nil, []request{
			{"GET", "/health", "192.0.2.1:1", "", 200, "ok", map[string]string{"RateLimit-Limit": ""}},
			{"GET", "/health", "192.0.2.1:1", "", 200, "ok", nil},
			{"GET", "/health", "192.0.2.1:1", "", 200, "ok", nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &Limiter{Store: newStore(t, MemoryOptions{SweepInterval: -1}), Now: func() time.Time { return epoch }}
			h := Middleware(l, keyFunc, tt.deny)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("ok"))
			}))
			for i, rq := range tt.reqs {
				r := httptest.NewRequest(rq.method, rq.path, nil)
				r.RemoteAddr = rq.remote
				if rq.xff != "" {
					r.Header.Set("X-Forwarded-For", rq.xff)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != rq.status || !strings.Contains(w.Body.String(), rq.body) {
					t.Errorf("request %d %s %s: %d %q, want %d containing %q", i, rq.method, rq.path, w.Code, w.Body, rq.status, rq.body)
				}
				for k, v := range rq.headers {
					if got := w.Header().Get(k); got != v {
						t.Errorf("request %d: %s = %q, want %q", i, k, got, v)
					}
				}
			}
		})
	}
}

func TestMiddlewareFailsOpen(t *testing.T) {
	t.Parallel()
	l := NewLimiter(failingStore{}, "")
	keys := func(*http.Request) []Key { return []Key{{Dimension: "ip", Value: "x", Rule: Rule{Rate: 1, Burst: 1}}} }
	h := Middleware(l, keys, nil)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusNoContent {
		t.Errorf("status %d, want the handler's 204", w.Code)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"direct", "192.0.2.1:5000", nil, proxies, "192.0.2.1"},
		{"spoofed header from an untrusted peer", "192.0.2.1:5000", []string{"1.1.1.1"}, proxies, "192.0.2.1"},
		{"no trusted proxies", "10.0.0.1:5000", []string{"1.1.1.1"}, nil, "10.0.0.1"},
		{"one trusted proxy", "10.0.0.1:5000", []string{"198.51.100.7"}, proxies, "198.51.100.7"},
		{"client prepends a fake", "10.0.0.1:5000", []string{"1.1.1.1, 198.51.100.7"}, proxies, "198.51.100.7"},
		{"fake in an earlier header line", "10.0.0.1:5000", []string{"1.1.1.1", "198.51.100.7"}, proxies, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:5000", []string{"198.51.100.7, 10.0.0.9, 10.0.0.8"}, proxies, "198.51.100.7"},
		{"fake trusted address left of the client", "10.0.0.1:5000", []string{"10.9.9.9, 198.51.100.7"}, proxies, "198.51.100.7"},
		{"all trusted", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, proxies, "10.0.0.3"},
		{"garbage stops at the proxy", "10.0.0.1:5000", []string{"1.1.1.1, nonsense"}, proxies, "10.0.0.1"},
		{"garbage after a trusted hop", "10.0.0.1:5000", []string{"junk, 10.0.0.7"}, proxies, "10.0.0.7"},
		{"empty header", "10.0.0.1:5000", []string{""}, proxies, "10.0.0.1"},
		{"ports in the header", "10.0.0.1:5000", []string{"198.51.100.7:4444"}, proxies, "198.51.100.7"},
		{"ipv6 peer and hops", "[fd00::1]:443", []string{"[2001:db8::1]:80, fd00::2"}, proxies, "2001:db8::1"},
		{"bracketed ipv6 without port", "[fd00::1]:443", []string{"[2001:db8::2]"}, proxies, "2001:db8::2"},
		{"ipv4-mapped", "[::ffff:10.0.0.1]:443", []string{"::ffff:198.51.100.7"}, proxies, "198.51.100.7"},
		{"zone dropped", "[fe80::1%eth0]:443", nil, nil, "fe80::1"},
		{"unparsable remote", "@unix", nil, proxies, "@unix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tt.trusted); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClientIPForwarded reads RFC 7239's Forwarded header by the same
// rules, in preference to X-Forwarded-For.
func TestClientIPForwarded(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote string
		fwd, xff     []string
		want         string
	}{
		{"one hop", "10.0.0.1:5000", []string{"for=198.51.100.7;proto=https"}, nil, "198.51.100.7"},
		{"untrusted peer ignores it", "192.0.2.1:5000", []string{"for=198.51.100.7"}, nil, "192.0.2.1"},
		{"quoted ipv6 with port", "10.0.0.1:5000", []string{`for="[2001:db8:cafe::17]:4711"`}, nil, "2001:db8:cafe::17"},
		{"client prepends a fake", "10.0.0.1:5000", []string{"for=1.1.1.1, for=198.51.100.7;by=10.0.0.1"}, nil, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:5000", []string{"for=198.51.100.7", "for=10.0.0.9"}, nil, "198.51.100.7"},
		{"case-insensitive parameter", "10.0.0.1:5000", []string{"For=198.51.100.8"}, nil, "198.51.100.8"},
		{"obfuscated node stops at the proxy", "10.0.0.1:5000", []string{"for=_hidden"}, nil, "10.0.0.1"},
		{"unknown node stops at the proxy", "10.0.0.1:5000", []string{"for=unknown"}, nil, "10.0.0.1"},
		{"preferred over X-Forwarded-For", "10.0.0.1:5000", []string{"for=198.51.100.7"}, []string{"203.0.113.5"}, "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.fwd {
				r.Header.Add("Forwarded", v)
			}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, proxies); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not an address":       "not an address",
		"::ffff:192.0.2.1":     "192.0.2.1",
	} {
		if got := IPKey(in); got != want {
			t.Errorf("IPKey(%q) = %q, want %q", in, got, want)
		}
	}
}
