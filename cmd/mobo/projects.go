package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/tenant"
)

// projectAdmin adapts the tenant manager and its quotas to what the admin
// API declares.
type projectAdmin struct {
	m        *tenant.Manager
	quotas   *tenant.Quotas
	baseURL  func() string
	dumpDir  string
	requests func(ref string) int64
}

var _ admin.Projects = projectAdmin{}

// clientError gives an error the HTTP status the admin API answers with.
type clientError struct {
	err    error
	status int
}

func (e clientError) Error() string   { return e.err.Error() }
func (e clientError) Unwrap() error   { return e.err }
func (e clientError) HTTPStatus() int { return e.status }

func (a projectAdmin) view(p *tenant.Project, keys bool) admin.Project {
	v := admin.Project{Ref: p.Ref, Name: p.Name, Status: p.Status, Database: p.Database, CreatedAt: p.CreatedAt}
	v.APIURL = a.baseURL()
	if p.Ref != tenant.DefaultRef {
		v.APIURL += "/p/" + p.Ref
	}
	if keys {
		v.AnonKey, v.ServiceKey = p.AnonKey, p.ServiceKey
	}
	v.Limits = &admin.Limits{MaxConnections: p.Limits.MaxConnections, DBSizeLimit: p.Limits.DBSizeLimit, RequestRate: p.Limits.RequestRate}
	if p.Limits.StatementTimeout > 0 {
		v.Limits.StatementTimeout = p.Limits.StatementTimeout.String()
	}
	v.OverQuota = p.OverQuota
	return v
}

func (a projectAdmin) SetProjectLimits(ctx context.Context, ref string, l admin.Limits) error {
	tl := tenant.Limits{MaxConnections: l.MaxConnections, DBSizeLimit: l.DBSizeLimit, RequestRate: l.RequestRate}
	if l.StatementTimeout != "" {
		d, err := time.ParseDuration(l.StatementTimeout)
		if err != nil {
			return clientError{fmt.Errorf("statement_timeout %q: want a duration like \"5s\"", l.StatementTimeout), http.StatusBadRequest}
		}
		tl.StatementTimeout = d
	}
	return a.quotas.SetLimits(ctx, ref, tl)
}

func (a projectAdmin) ProjectUsage(ctx context.Context, ref string) (admin.Usage, error) {
	u, err := a.quotas.Usage(ctx, ref)
	if err != nil {
		return admin.Usage{}, err
	}
	out := admin.Usage{Ref: ref, SizeBytes: u.SizeBytes, RowsEstimate: u.RowsEstimate, Connections: u.Connections}
	if a.requests != nil {
		out.Requests = a.requests(ref)
	}
	return out, nil
}

func (a projectAdmin) RotateProjectKeys(ctx context.Context, ref string) (admin.Project, error) {
	p, err := a.m.RotateKeys(ctx, ref)
	if err != nil {
		return admin.Project{}, err
	}
	return a.view(p, true), nil
}

func (a projectAdmin) ListProjects(ctx context.Context) ([]admin.Project, error) {
	list, err := a.m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.Project, len(list))
	for i, p := range list {
		out[i] = a.view(p, false)
	}
	return out, nil
}

func (a projectAdmin) GetProject(_ context.Context, ref string) (admin.Project, error) {
	p, err := a.m.Projects().Project(ref)
	if err != nil {
		return admin.Project{}, err
	}
	return a.view(p, true), nil
}

func (a projectAdmin) CreateProject(ctx context.Context, ref, name string) (admin.Project, error) {
	p, err := a.m.Create(ctx, tenant.CreateOptions{Ref: ref, Name: name})
	if err != nil {
		return admin.Project{}, err
	}
	return a.view(p, true), nil
}

func (a projectAdmin) RenameProject(ctx context.Context, ref, name string) error {
	return a.m.Rename(ctx, ref, name)
}

func (a projectAdmin) PauseProject(ctx context.Context, ref string) error {
	return a.m.Pause(ctx, ref)
}

func (a projectAdmin) ResumeProject(ctx context.Context, ref string) error {
	return a.m.Resume(ctx, ref)
}

func (a projectAdmin) DeleteProject(ctx context.Context, ref string, noDump bool) (string, error) {
	dump, err := a.m.Delete(ctx, ref, tenant.DeleteOptions{NoDump: noDump, DumpDir: a.dumpDir})
	return dump, err
}
