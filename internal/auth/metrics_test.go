package auth

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestTokenGrantMetrics: every answer of /token is counted once under its
// grant type and its result, a stable error_code when it failed.
func TestTokenGrantMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.svc.Collector())
	e.call(t, "POST", "/signup", "", map[string]any{"email": "count@example.com", "password": "correct horse"}).want(t, 200, "")
	for range 2 {
		e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "count@example.com", "password": "correct horse"}).want(t, 200, "")
	}
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "count@example.com", "password": "wrong horse"}).want(t, 400, "invalid_credentials")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": "nope"}).want(t, 400, "")
	e.call(t, "POST", "/token?grant_type=/etc/passwd", "", map[string]any{}).want(t, 400, "unsupported_grant_type")
	want := `
# HELP mobo_auth_token_grants_total Sign-ins and refreshes at /auth/v1/token, by project, grant type and result (success or the error_code).
# TYPE mobo_auth_token_grants_total counter
mobo_auth_token_grants_total{grant="other",project="default",result="unsupported_grant_type"} 1
mobo_auth_token_grants_total{grant="password",project="default",result="invalid_credentials"} 1
mobo_auth_token_grants_total{grant="password",project="default",result="success"} 2
mobo_auth_token_grants_total{grant="refresh_token",project="default",result="refresh_token_not_found"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if err := e.svc.ForgetProject(t.Context(), "default", ""); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(e.svc.Collector()); n != 0 {
		t.Errorf("%d series left after the project was forgotten", n)
	}
}
