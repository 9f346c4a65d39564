package main

import (
	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/realtime"
	"github.com/magflock/mobo/internal/rest"
	"github.com/magflock/mobo/internal/schemacache"
	"github.com/magflock/mobo/internal/tenant"
)

// The tenant component's parts, as each component that uses them gets
// them: each declares the interface it needs and is given the parts that
// provide it, no more; optional parts are options of their own
// (auth.WithSettings, rest.Options.Settings), never found by type assertion.

// authTenant is the auth service's view: the catalogue and the service
// pools.
type authTenant struct {
	*tenant.Projects
	*tenant.Connections
}

// poolTenant is the view of realtime and the wire pooler: the catalogue and
// the pools.
type poolTenant struct {
	*tenant.Projects
	*tenant.Connections
}

func newAuthTenant(m *tenant.Manager) authTenant {
	return authTenant{m.Projects(), m.Connections()}
}

func newPoolTenant(m *tenant.Manager) poolTenant {
	return poolTenant{m.Projects(), m.Connections()}
}

var (
	_ gate.Pools                   = (*tenant.Connections)(nil)
	_ gate.Sharer                  = (*tenant.Connections)(nil)
	_ schemacache.ConnectionHolder = (*tenant.Connections)(nil)
	_ rest.SettingsStore           = (*tenant.Settings)(nil)
	_ auth.Tenants                 = authTenant{}
	_ auth.SettingsStore           = (*tenant.Settings)(nil)
	_ realtime.Projects            = poolTenant{}
	_ pgwire.Projects              = poolTenant{}
)
