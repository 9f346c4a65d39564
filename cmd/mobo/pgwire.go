package main

import (
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/tenant"
)

// wireProjects gives the wire pooler (pgwire.Projects) what it needs of the
// tenant manager: project state, pool configurations and service keys.
type wireProjects struct{ *tenant.Manager }

// ServiceKey returns project ref's service_role key, the pooler's password.
func (w wireProjects) ServiceKey(ref string) (string, error) {
	p, err := w.Project(ref)
	if err != nil {
		return "", err
	}
	return p.ServiceKey, nil
}

// poolerLine is the serve banner's line for the wire pooler, if it runs.
func poolerLine(w *pgwire.Server) string {
	if w == nil {
		return ""
	}
	return "\n  pooler (psql)    " + w.URL(tenant.DefaultRef) + "  (password: the service_role key)"
}

// The budget reclaims idle connections of the pooler's pools too.
var _ pgwire.PoolTracker = wireProjects{}
