package gate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/tracing"
)

// Pools gives a project's API pool (the tenant's): connections that log in
// as the project's authenticator role, which only a decision switches to
// an API role. The pool is looked up at each use: the tenant may replace it
// (new limits) or close it (pause, delete).
type Pools interface {
	Pool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// Sharer shares the cluster's backends among busy projects (the tenant's):
// Share waits for project ref's fair share, and leave gives it back. Its
// error is ctx's.
type Sharer interface {
	Share(ctx context.Context, ref string) (leave func(), err error)
}

// Session is one connection of a decision's project, taken within the
// project's fair share of the cluster's backends, on which statements run
// as the decision's principal. Only [Decision.Acquire] makes one. A Session
// is used by one goroutine and must be released.
type Session struct {
	d     *Decision
	conn  *pgxpool.Conn
	leave func()
}

// Acquire waits for the project's fair share, then for a connection of its
// pool. Errors wrap ctx's (the wait was too long) or the pool's.
func (d *Decision) Acquire(ctx context.Context) (*Session, error) {
	ctx, span := tracing.Child(ctx, d.g.tracer, "gate.acquire")
	conn, leave, err := d.g.acquire(ctx, d.ref)
	if span.IsRecording() {
		endSpan(span, err)
	}
	if err != nil {
		return nil, err
	}
	return &Session{d: d, conn: conn, leave: leave}, nil
}

// Run runs p as the decision's principal ([Decision.Run]).
func (s *Session) Run(ctx context.Context, p Plan, read func(pgx.BatchResults) error) error {
	return s.d.Run(ctx, s.conn.Conn(), p, read)
}

// Begin opens a transaction on the session's connection as the decision's
// principal ([Decision.Begin]); the caller ends it before Release.
func (s *Session) Begin(ctx context.Context, opts pgx.TxOptions, set Settings, seed ...Statement) (pgx.Tx, error) {
	return s.d.Begin(ctx, s.conn, opts, set, seed...)
}

// End ends the transaction a [Plan] with Hold left open: commit, or roll
// back.
func (s *Session) End(ctx context.Context, commit bool) error {
	end := "rollback"
	if commit {
		end = "commit"
	}
	_, err := s.conn.Exec(ctx, end)
	return err
}

// Release gives the connection back, then the share. A connection left
// inside a transaction is destroyed rather than reused (pgxpool's rule).
func (s *Session) Release() {
	s.conn.Release()
	s.leave()
}

// Query runs p as the decision's principal on a connection taken for it
// alone ([Decision.Acquire], [Session.Run], [Session.Release]).
func (d *Decision) Query(ctx context.Context, p Plan, read func(pgx.BatchResults) error) error {
	s, err := d.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.Release()
	return s.Run(ctx, p, read)
}

// ReadCatalog runs fn on a connection of project ref as its login role,
// which no principal's grants reach: for reads of the system catalog an API
// needs beside the schema cache (a role's privileges, comments). It waits
// for the project's fair share like every request.
func (g *Gate) ReadCatalog(ctx context.Context, ref string, fn func(*pgx.Conn) error) error {
	conn, leave, err := g.acquire(ctx, ref)
	if err != nil {
		return err
	}
	defer func() { conn.Release(); leave() }()
	return fn(conn.Conn())
}

func (g *Gate) acquire(ctx context.Context, ref string) (conn *pgxpool.Conn, leave func(), err error) {
	leave = func() {}
	if g.share != nil {
		if leave, err = g.share.Share(ctx, ref); err != nil {
			return nil, nil, fmt.Errorf("waiting for a connection: %w", err)
		}
	}
	pool, err := g.pools.Pool(ctx, ref)
	if err == nil {
		conn, err = pool.Acquire(ctx)
		if err != nil {
			err = fmt.Errorf("acquiring a connection: %w", err)
		}
	}
	if err != nil {
		leave()
		return nil, nil, err
	}
	return conn, leave, nil
}
