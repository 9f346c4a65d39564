package ratelimit

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustRule(t *testing.T, s string) Rule {
	t.Helper()
	r, err := ParseRule(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // fragments of the error; none: valid
	}{
		{"zero", Config{}, nil},
		{"good", Config{
			Default: map[string]string{"ip": "100/s burst 200", "apikey": "1000/s"},
			Routes: []RouteRule{
				{Pattern: "POST /auth/v1/token", Limits: map[string]string{"ip": "30/5m", "email": "10/h"}},
				{Pattern: "/rest/v1/*", Limits: map[string]string{"user": "off"}},
				{Pattern: "/*"},
			},
		}, nil},
		{"bad rule", Config{Default: map[string]string{"ip": "100/fortnight"}}, []string{`default: dimension "ip"`, `unknown period "fortnight"`}},
		{"bad dimension", Config{Default: map[string]string{"IP": "1/s", "": "1/s"}}, []string{`dimension "IP"`, `dimension ""`}},
		{"off as a default", Config{Default: map[string]string{"ip": "off"}}, []string{`"off" only lifts a default`}},
		{"bad patterns", Config{Routes: []RouteRule{
			{Pattern: "rest/v1"},
			{Pattern: "post /x"},
			{Pattern: "/rest/*/x"},
			{Pattern: "GET /a\x1fb"},
		}}, []string{`route 0 ("rest/v1")`, `method "post"`, `route 2`, `route 3`}},
		{"duplicate pattern", Config{Routes: []RouteRule{
			{Pattern: "POST /auth/v1/token"}, {Pattern: "POST  /auth/v1/token/"},
		}}, []string{"route 1", "never applies"}},
		{"every problem reported", Config{
			Default: map[string]string{"ip": "x"},
			Routes:  []RouteRule{{Pattern: "/a", Limits: map[string]string{"user": "y"}}},
		}, []string{`default: dimension "ip"`, `route 0 ("/a"): dimension "user"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigMatch(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Default: map[string]string{"ip": "100/s", "apikey": "1000/s"},
		Routes: []RouteRule{
			{Pattern: "POST /auth/v1/token", Limits: map[string]string{"ip": "30/5m", "email": "10/h"}},
			{Pattern: "/auth/v1/*", Limits: map[string]string{"ip": "10/s"}},
			{Pattern: "GET /rest/v1/big_report", Limits: map[string]string{"apikey": "1/s"}},
			{Pattern: "/rest/v1/*", Limits: map[string]string{"apikey": "off"}},
		},
	}
	ip100, key1000 := mustRule(t, "100/s"), mustRule(t, "1000/s")
	tests := []struct {
		method, path string
		want         map[string]Rule
	}{
		{"POST", "/auth/v1/token", map[string]Rule{"ip": mustRule(t, "30/5m"), "email": mustRule(t, "10/h"), "apikey": key1000}},
		{"POST", "/auth/v1/token/", map[string]Rule{"ip": mustRule(t, "30/5m"), "email": mustRule(t, "10/h"), "apikey": key1000}},
		{"POST", "/auth/v1/x/../token", map[string]Rule{"ip": mustRule(t, "30/5m"), "email": mustRule(t, "10/h"), "apikey": key1000}},
		{"GET", "/auth/v1/token", map[string]Rule{"ip": mustRule(t, "10/s"), "apikey": key1000}},
		{"GET", "/auth/v1", map[string]Rule{"ip": mustRule(t, "10/s"), "apikey": key1000}},
		{"GET", "/auth/v1x", map[string]Rule{"ip": ip100, "apikey": key1000}},
		{"HEAD", "/rest/v1/big_report", map[string]Rule{"ip": ip100, "apikey": mustRule(t, "1/s")}},
		{"POST", "/rest/v1/big_report", map[string]Rule{"ip": ip100}},
		{"GET", "/rest/v1/todos", map[string]Rule{"ip": ip100}},
		{"GET", "", map[string]Rule{"ip": ip100, "apikey": key1000}},
	}
	p, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, cfg.Match(tt.method, tt.path)); diff != "" {
				t.Errorf("Config.Match (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, p.Match(tt.method, tt.path)); diff != "" {
				t.Errorf("Policy.Match (-want +got):\n%s", diff)
			}
		})
	}
	if got := (Config{}).Match("GET", "/"); got != nil {
		t.Errorf("zero config matches %v, want nil", got)
	}
}

func TestPolicyKeys(t *testing.T) {
	t.Parallel()
	p, err := Config{
		Default: map[string]string{"ip": "100/s", "user": "10/s", "apikey": "1000/s"},
		Routes:  []RouteRule{{Pattern: "POST /auth/v1/token", Limits: map[string]string{"ip": "30/5m"}}},
	}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	values := func(dim string) string {
		asked = append(asked, dim)
		return map[string]string{"ip": "192.0.2.1", "apikey": "key_123"}[dim] // no user
	}
	got := p.Keys("POST", "/auth/v1/token", values)
	want := []Key{
		{Dimension: "apikey", Value: "key_123", Rule: mustRule(t, "1000/s"), Scope: "POST /auth/v1/token"},
		{Dimension: "ip", Value: "192.0.2.1", Rule: mustRule(t, "30/5m"), Scope: "POST /auth/v1/token"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"apikey", "ip", "user"}, asked); diff != "" {
		t.Errorf("dimensions asked (-want +got):\n%s", diff)
	}
	if got := p.Keys("GET", "/x", values); len(got) != 2 || got[0].Scope != "" {
		t.Errorf("default keys = %+v, want two with no scope", got)
	}
}
