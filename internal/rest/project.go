package rest

import (
	"context"
	"strconv"

	"github.com/magflock/mobo/internal/catalog"
)

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
		sc := &Schema{Catalog: snap.Catalog, reads: readCache{c: s.reads, prefix: strconv.FormatUint(snap.Version, 36) + "\x00"}}
		sc.setConfig(&cfg)
		return sc, nil
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
