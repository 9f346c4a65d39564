package rest

import (
	"context"
	"net/http"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
)

// This file is the REST component's surface for other APIs on the same
// schema cache (the GraphQL API): the current snapshot, authentication and
// the request transaction.

// Catalog returns the current catalog snapshot of project ref, loading it
// at first use. The snapshot is immutable; a reload swaps in a new one.
func (s *Server) Catalog(ctx context.Context, ref string) (*catalog.Catalog, error) {
	p, err := s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	return p.current().Catalog, nil
}

// Authenticate maps a request's credentials to a principal, with the same
// rules and cache as the REST API. Its errors have an HTTPStatus method.
func (s *Server) Authenticate(ctx context.Context, r *http.Request) (*gate.Principal, error) {
	p, err := s.project(ctx, httpx.ProjectRef(ctx))
	if err != nil {
		return nil, err
	}
	return s.authenticate(ctx, r, p.current().config())
}

// Schemas are project ref's exposed schemas; the first is the default. They
// are those of the current snapshot ([Server.Schema]), the platform
// default's before the project is loaded.
func (s *Server) Schemas(ref string) []string {
	s.mu.Lock()
	p := s.projects[ref]
	s.mu.Unlock()
	if p != nil {
		if sc := p.current(); sc != nil {
			return slices.Clone(sc.config().schemas())
		}
	}
	return slices.Clone(s.opts.Config.schemas())
}

// QueryJSON runs sql, a statement returning one row of one json column, in
// one pipelined transaction of the decision's project under its principal's
// role and claims (so row-level security applies), as the REST API runs its
// statements. write says whether the statement may change data; path is
// request.path.
func (s *Server) QueryJSON(ctx context.Context, d *gate.Decision, write bool, path, sql string, args []any) ([]byte, error) {
	proj, err := s.project(ctx, d.Ref())
	if err != nil {
		return nil, err
	}
	sc := proj.current()
	searchPath := sc.searchPath(sc.config().schemas()[0])
	conn, release, err := s.acquire(ctx, proj.ref)
	if err != nil {
		return nil, err
	}
	defer release()
	var out []byte
	settings := gate.Settings{Method: http.MethodPost, Path: path, Headers: "{}", SearchPath: searchPath, ReadOnly: !write}
	err = d.Run(ctx, conn.Conn(), gate.Plan{Settings: settings, SQL: sql, Args: args}, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CatalogJSON runs sql, a read of the system catalog returning one row of
// one json column, on project ref's database as the login role: catalog
// reads act as no principal, as the schema cache's load does.
func (s *Server) CatalogJSON(ctx context.Context, ref, sql string, args []any) ([]byte, error) {
	conn, release, err := s.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer release()
	var out []byte
	err = conn.QueryRow(ctx, sql, args...).Scan(&out)
	return out, err
}
