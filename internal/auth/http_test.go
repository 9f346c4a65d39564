package auth

import (
	"net/http/httptest"
	"testing"

	"github.com/magflock/mobo/internal/httpx"
)

func TestExternalURLAndRedirects(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{SiteURL: "https://app.example.com", AdditionalRedirectURLs: []string{"https://admin.example.com/cb"}}}
	tests := []struct {
		name, uri, ref, external string
	}{
		{"default project", "/auth/v1/signup", "default", "http://api.test"},
		{"project by path", "/p/abc/auth/v1/signup", "abc", "http://api.test/p/abc"},
		{"project by host", "/auth/v1/signup", "abc", "http://api.test"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", tt.uri, nil) // path form, as a server sees it
		r.Host = "api.test"
		r = r.WithContext(httpx.WithProject(r.Context(), tt.ref))
		if got := s.externalURL(r); got != tt.external {
			t.Errorf("%s: externalURL = %q, want %q", tt.name, got, tt.external)
		}
	}
	r := httptest.NewRequest("GET", "http://api.test/auth/v1/verify", nil)
	redirects := []struct{ want, got string }{
		{"https://app.example.com/welcome", "https://app.example.com/welcome"},
		{"https://app.example.com.evil.com/", "https://app.example.com"},
		{"https://admin.example.com/cb/x", "https://admin.example.com/cb/x"},
		{"https://admin.example.com/other", "https://app.example.com"},
		{"http://localhost:3000/x", "http://localhost:3000/x"},
		{"javascript:alert(1)", "https://app.example.com"},
		{"", "https://app.example.com"},
	}
	for _, tt := range redirects {
		if got := s.redirectTo(r, tt.want); got != tt.got {
			t.Errorf("redirectTo(%q) = %q, want %q", tt.want, got, tt.got)
		}
	}
}
