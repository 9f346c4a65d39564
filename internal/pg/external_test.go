package pg

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"postgres://app:s3cret@db:5432/appdb",
		"postgres://app@db/appdb?password=s3cret&sslmode=disable",
		"postgres://app@db/appdb?sslpassword=s3cret",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got := RedactURL(u)
		if strings.Contains(got, "s3cret") || !strings.Contains(got, "appdb") {
			t.Errorf("RedactURL(%q) = %q", raw, got)
		}
	}
}

func TestNewExternalRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"mysql://x/db", "postgres://host", "::"} {
		if _, err := NewExternal(raw, nil); err == nil {
			t.Errorf("NewExternal(%q) accepted", raw)
		}
	}
}
