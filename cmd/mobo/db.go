package main

import (
	"context"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/tenant"
)

// projectDatabases hands the admin API's migrator the tenant's project
// databases, converting the connection description to the admin API's type.
type projectDatabases struct {
	*tenant.Connections
	*tenant.Quotas
}

var _ admin.ProjectDatabases = projectDatabases{}

func (d projectDatabases) DirectConnection(ctx context.Context, ref string) (admin.Connection, error) {
	c, err := d.Connections.DirectConnection(ctx, ref)
	return admin.Connection{URL: c.URL, User: c.User, Password: c.Password, Database: c.Database, Superuser: c.Superuser, BinDir: c.BinDir}, err
}
