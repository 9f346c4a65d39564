package auth

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// authMetrics count what happens to sign-ins: the token grants.
type authMetrics struct {
	grants *prometheus.CounterVec // project, grant, result
}

func newAuthMetrics() *authMetrics {
	return &authMetrics{grants: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "mobo", Subsystem: "auth", Name: "token_grants_total",
		Help: "Sign-ins and refreshes at /auth/v1/token, by project, grant type and result (success or the error_code).",
	}, []string{"project", "grant", "result"})}
}

// Collector is the auth API's metrics, to register with the platform's
// registry: mobo_auth_token_grants_total{project,grant,result}.
func (s *Service) Collector() prometheus.Collector { return s.metrics.grants }

// forget drops project ref's series: the project is deleted.
func (m *authMetrics) forget(ref string) {
	m.grants.DeletePartialMatch(prometheus.Labels{"project": ref})
}

// grant counts one answer of /token for project ref. The labels are
// bounded: the grant types GoTrue knows ("other" for any other), and the
// result is "success", a stable error_code, or "error".
func (m *authMetrics) grant(ref, grant string, err error) {
	switch grant {
	case "password", "refresh_token", "pkce", "id_token", "web3":
	default:
		grant = "other"
	}
	result := "success"
	var ae *Error
	switch {
	case errors.As(err, &ae):
		result = ae.Code
	case err != nil:
		result = "error"
	}
	m.grants.WithLabelValues(ref, grant, result).Inc()
}
