package rest

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
)

// This file is the REST component's surface for other APIs on the same
// schema cache (the GraphQL API): authentication and the request
// transaction.

// Authenticate maps a request's credentials to a principal, with the same
// rules and cache as the REST API. Its errors have an HTTPStatus method.
func (s *Server) Authenticate(ctx context.Context, r *http.Request) (*gate.Principal, error) {
	sc, err := s.schema(ctx, httpx.ProjectRef(ctx))
	if err != nil {
		return nil, err
	}
	return s.authenticate(ctx, r, sc.config())
}

// QueryJSON runs sql, a statement returning one row of one json column, in
// one pipelined transaction of the decision's project under its principal's
// role and claims (so row-level security applies), as the REST API runs its
// statements. write says whether the statement may change data; path and
// headers (a JSON object, [httpx.HeadersJSON]) are request.path and
// request.headers.
func (s *Server) QueryJSON(ctx context.Context, d *gate.Decision, write bool, path, headers, sql string, args []any) ([]byte, error) {
	sc, err := s.schema(ctx, d.Ref())
	if err != nil {
		return nil, err
	}
	var out []byte
	settings := gate.Settings{Method: http.MethodPost, Path: path, Headers: headers, SearchPath: sc.searchPath(sc.config().schemas()[0]), ReadOnly: !write}
	err = d.Query(ctx, gate.Plan{Settings: settings, SQL: sql, Args: args}, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}
