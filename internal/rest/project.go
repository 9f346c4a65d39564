package rest

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/catalog"
)

// Projects is what the REST API needs from the tenant component: a project's
// API pool (connections that log in as authenticator and may switch to the
// API roles).
type Projects interface {
	Pool(ctx context.Context, ref string) (*pgxpool.Pool, error)
}

// Sharer is implemented by a Projects whose busy projects share the
// cluster's backends in fair shares: Share is called before each
// acquisition from a project's pool, and leave after the connection's
// release. Its error is ctx's.
type Sharer interface {
	Share(ctx context.Context, ref string) (leave func(), err error)
}

// Catalogs is what the REST API needs from the schema cache component:
// each project's current catalog snapshot, and a way to say that a name
// could not be resolved in it (the snapshot may be behind).
type Catalogs interface {
	Snapshot(ctx context.Context, ref string) (*catalog.Snapshot, error)
	Missed(ref string)
}

// schemaKey keys REST's [Schema] among a snapshot's derived values.
type schemaKey struct{}

// schema returns project ref's current schema: the schema cache's snapshot
// with the REST settings read when it was first used and the reads
// compiled against it. A new snapshot (after DDL, or a change of the
// project's settings) brings a new Schema, so a request sees settings and
// schema that agree; the exposed schemas are always the snapshot's.
func (s *Server) schema(ctx context.Context, ref string) (*Schema, error) {
	snap, err := s.opts.Catalog.Snapshot(ctx, ref)
	if err != nil {
		return nil, err
	}
	return catalog.Derive(snap, schemaKey{}, func() (*Schema, error) {
		cfg, _, err := s.effectiveConfig(ctx, ref)
		if err != nil {
			return nil, err
		}
		cfg.Schemas = snap.Schemas()
		return &Schema{
			Catalog: snap.Catalog, cfg: &cfg,
			reads: readCache{c: s.reads, prefix: strconv.FormatUint(snap.Version, 36) + "\x00"},
		}, nil
	})
}

// ExposedSchemas returns a function giving project ref's exposed schemas
// (db_schemas) from the platform's REST configuration and the project's
// stored overrides, for the schema cache to load (its [Options.Exposed]).
func ExposedSchemas(cfg Config, settings SettingsStore) func(ctx context.Context, ref string) ([]string, error) {
	return func(ctx context.Context, ref string) ([]string, error) {
		eff, _, err := effectiveConfig(ctx, cfg, settings, ref)
		if err != nil {
			return nil, err
		}
		return eff.schemas(), nil
	}
}

// pool returns project ref's pool from the tenant.
func (s *Server) pool(ctx context.Context, ref string) (*pgxpool.Pool, error) {
	return s.opts.Projects.Pool(ctx, ref)
}

// acquire takes a connection of project ref's pool for one request, within
// the project's share of the cluster's backends when the tenant keeps
// shares; release gives back the connection, then the share.
func (s *Server) acquire(ctx context.Context, ref string) (conn *pgxpool.Conn, release func(), err error) {
	leave := func() {}
	if sh, ok := s.opts.Projects.(Sharer); ok {
		if leave, err = sh.Share(ctx, ref); err != nil {
			return nil, nil, fmt.Errorf("waiting for a connection: %w", err)
		}
	}
	pool, err := s.pool(ctx, ref)
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
	return conn, func() { conn.Release(); leave() }, nil
}
