package tenant

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Quotas keeps the projects' limits (the size of their pools, their
// statement timeout, their request rate, the size of their databases) and
// enforces the size quota: it compares each database's size with its limit
// (at each change of the limits and periodically, from the Manager's
// watcher goroutine) and makes a database over its quota read-only. Its
// state is the catalogue's; it is safe for concurrent use.
type Quotas struct {
	cp       ControlPlane
	srv      Server
	projects *Projects
	conns    *Connections // closed and measured to apply the limits
	log      *slog.Logger
}

// ErrOverQuota: the project's database is larger than its size limit; it is
// read-only until it shrinks or the limit rises.
var ErrOverQuota error = &statusError{"the project's database is over its size quota; writes are refused", 409}

// SetLimits changes a project's limits; its pool is rebuilt to apply them.
func (q *Quotas) SetLimits(ctx context.Context, ref string, l Limits) error {
	if l.MaxConnections < 0 || l.MaxConnections > 1000 || l.StatementTimeout < 0 || l.DBSizeLimit < 0 {
		return fmt.Errorf("limits %+v: %w", l, ErrInvalidLimits)
	}
	pool, err := q.cp.Pool()
	if err != nil {
		return err
	}
	var timeout any
	if l.StatementTimeout > 0 {
		timeout = l.StatementTimeout
	}
	tag, err := pool.Exec(ctx, `update mobo.projects set max_connections = nullif($2, 0), statement_timeout = $3,
		db_size_limit = nullif($4, 0), request_rate = nullif($5, ''), updated_at = now() where ref = $1`,
		ref, l.MaxConnections, timeout, l.DBSizeLimit, l.RequestRate)
	if err != nil {
		return fmt.Errorf("setting limits of project %q: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	q.projects.update(ref, func(p *Project) { p.Limits = l })
	q.conns.closePool(ref)
	return q.check(ctx, ref)
}

// QuotaError returns ErrOverQuota (wrapped) while project ref is over its
// size quota, so APIs can explain a refused write.
func (q *Quotas) QuotaError(ref string) error {
	p, err := q.projects.Project(ref)
	if err != nil {
		return err
	}
	if p.OverQuota {
		return fmt.Errorf("project %q (limit %d bytes): %w", ref, p.Limits.DBSizeLimit, ErrOverQuota)
	}
	return nil
}

// OverQuota reports whether project ref's database is over its size quota
// (false for an unknown project).
func (q *Quotas) OverQuota(ref string) bool {
	p, err := q.projects.Project(ref)
	return err == nil && p.OverQuota
}

// check compares project ref's database size with its limit and makes
// the database read-only (default_transaction_read_only, for new sessions;
// the pool is closed so that none keeps writing) or writable again.
func (q *Quotas) check(ctx context.Context, ref string) error {
	p, err := q.projects.Project(ref)
	if err != nil || p.Status != StatusActive {
		return err
	}
	if p.Limits.DBSizeLimit == 0 && !p.OverQuota {
		return nil
	}
	conn, err := pgx.Connect(ctx, q.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("checking the size of project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var size int64
	if err := conn.QueryRow(ctx, "select pg_database_size($1)", p.Database).Scan(&size); err != nil {
		return fmt.Errorf("checking the size of project %q: %w", ref, err)
	}
	over := p.Limits.DBSizeLimit > 0 && size > p.Limits.DBSizeLimit
	if over == p.OverQuota {
		return nil
	}
	setting := "off"
	if over {
		setting = "on"
	}
	if _, err := conn.Exec(ctx, "alter database "+pgx.Identifier{p.Database}.Sanitize()+" set default_transaction_read_only = "+setting); err != nil {
		return fmt.Errorf("setting project %q read-only=%s: %w", ref, setting, err)
	}
	cpool, err := q.cp.Pool()
	if err != nil {
		return err
	}
	if _, err := cpool.Exec(ctx, "update mobo.projects set over_quota = $2 where ref = $1", ref, over); err != nil {
		return fmt.Errorf("recording the quota state of project %q: %w", ref, err)
	}
	q.projects.update(ref, func(p *Project) { p.OverQuota = over })
	q.conns.closePool(ref)
	if over {
		q.log.Warn("project over its size quota; its database is read-only", "ref", ref, "size", size, "limit", p.Limits.DBSizeLimit)
	} else {
		q.log.Info("project back under its size quota; writes allowed", "ref", ref, "size", size)
	}
	return nil
}

// watch checks every project's size periodically until ctx ends.
func (q *Quotas) watch(ctx context.Context, every time.Duration, wg *sync.WaitGroup) {
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, ref := range q.projects.Refs() {
				if err := q.check(ctx, ref); err != nil && ctx.Err() == nil {
					q.log.Warn("quota check failed", "ref", ref, "err", err)
				}
			}
		}
	})
}

// Usage is what a project uses now.
type Usage struct {
	SizeBytes    int64
	RowsEstimate int64 // from the planner's statistics
	Connections  int32 // held by the project's pools and listeners
}

// Usage reports project ref's database size, estimated rows and connections.
func (q *Quotas) Usage(ctx context.Context, ref string) (Usage, error) {
	p, err := q.projects.Project(ref)
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	if p.Status == StatusActive {
		conn, err := pgx.Connect(ctx, q.srv.ConnString(p.Database))
		if err != nil {
			return u, fmt.Errorf("measuring project %q: %w", ref, err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		err = conn.QueryRow(ctx, `select pg_database_size(current_database()),
			coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
			from pg_class c join pg_namespace n on n.oid = c.relnamespace
			where c.relkind in ('r', 'm', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'mobo')
			  and n.nspname not like 'pg_toast%'`).Scan(&u.SizeBytes, &u.RowsEstimate)
		if err != nil {
			return u, fmt.Errorf("measuring project %q: %w", ref, err)
		}
	}
	u.Connections = q.conns.Stats().Projects[ref]
	return u, nil
}
