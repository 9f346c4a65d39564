package main

import (
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/tenant"
)

// poolerLine is the serve banner's line for the wire pooler, if it runs.
func poolerLine(w *pgwire.Server) string {
	if w == nil {
		return ""
	}
	return "\n  pooler (psql)    " + w.URL(tenant.DefaultRef) + "  (password: the service_role key)"
}
