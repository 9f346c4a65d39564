package main

import (
	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/pgwire"
	"github.com/magflock/mobo/internal/realtime"
	"github.com/magflock/mobo/internal/rest"
	"github.com/magflock/mobo/internal/tenant"
)

// The tenant component's parts, as each component that uses them gets
// them: each declares the interface it needs and is given the parts that
// provide it, no more. Some abilities are optional, found by type
// assertion (rest's ConnectionHolder, Sharer and SettingsStore, auth's
// SettingsStore, pgwire's PoolTracker): the guards below keep a view from
// losing one silently.

// restTenant is the REST API's view: the API pools, under the connection
// budget and in fair shares, and the REST settings.
type restTenant struct {
	*tenant.Connections
	*tenant.Settings
}

// authTenant is the auth service's view: the catalogue, the service pools
// and the auth settings.
type authTenant struct {
	*tenant.Projects
	*tenant.Connections
	*tenant.Settings
}

// poolTenant is the view of realtime and the wire pooler: the catalogue and
// the pools.
type poolTenant struct {
	*tenant.Projects
	*tenant.Connections
}

func newRESTTenant(m *tenant.Manager) restTenant {
	return restTenant{m.Connections(), m.Settings()}
}

func newAuthTenant(m *tenant.Manager) authTenant {
	return authTenant{m.Projects(), m.Connections(), m.Settings()}
}

func newPoolTenant(m *tenant.Manager) poolTenant {
	return poolTenant{m.Projects(), m.Connections()}
}

var (
	_ rest.Projects         = restTenant{}
	_ rest.ConnectionHolder = restTenant{}
	_ rest.Sharer           = restTenant{}
	_ rest.SettingsStore    = restTenant{}
	_ auth.Tenants          = authTenant{}
	_ auth.SettingsStore    = authTenant{}
	_ realtime.Projects     = poolTenant{}
	_ pgwire.Projects       = poolTenant{}
	_ pgwire.PoolTracker    = poolTenant{}
)
