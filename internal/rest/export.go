package rest

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/authn"
	"github.com/magflock/mobo/internal/httpx"
)

// This file is the REST component's surface for other APIs on the same
// schema cache (the GraphQL API): the current snapshot, authentication and
// the request transaction.

// Schema returns the current schema cache snapshot of project ref, loading
// it at first use. The snapshot is immutable; a reload swaps in a new one.
func (s *Server) Schema(ctx context.Context, ref string) (*Schema, error) {
	p, err := s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	return p.current(), nil
}

// Authenticate maps a request's credentials to a principal, with the same
// rules and cache as the REST API. Its errors have an HTTPStatus method.
func (s *Server) Authenticate(ctx context.Context, r *http.Request) (*authn.Principal, error) {
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
// one pipelined transaction of project ref under p's role and claims (so
// row-level security applies), as the REST API runs its statements. write
// says whether the statement may change data; path is request.path.
func (s *Server) QueryJSON(ctx context.Context, ref string, p *authn.Principal, write bool, path, sql string, args []any) ([]byte, error) {
	proj, err := s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	readOnly := "off"
	if !write {
		readOnly = "on"
	}
	cfg := proj.current().config()
	schemas := cfg.schemas()
	parts := []string{ident(schemas[0])}
	for _, sc := range cfg.extraSearchPath() {
		if sc != schemas[0] {
			parts = append(parts, ident(sc))
		}
	}
	conn, release, err := s.acquire(ctx, proj.ref)
	if err != nil {
		return nil, err
	}
	defer release()
	var out []byte
	tp := txPlan{setup: []any{p.Role, string(p.ClaimsJSON), http.MethodPost, path, "{}", strings.Join(parts, ", "), readOnly}, sql: sql, args: args}
	err = runTx(ctx, conn.Conn(), tp, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sanitize quotes the name for SQL.
func (q QName) Sanitize() string { return q.sanitize() }

// OneToOne reports whether fk's columns are its referencing relation's
// primary key, so it embeds as an object both ways.
func OneToOne(fk *ForeignKey) bool { return isOneToOne(fk) }
