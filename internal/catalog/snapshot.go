package catalog

import (
	"slices"
	"sync"
)

// Snapshot is one load of a project's catalog: the [Catalog] of the
// schemas it was loaded for, numbered. A reload makes a new Snapshot; a
// request keeps the one it started with. What an API builds from a
// snapshot (REST's effective settings and compiled reads, GraphQL's
// schema) it keeps with [Derive], so that it lives exactly as long as the
// snapshot and is rebuilt with the next one.
//
// A Snapshot is immutable but for its derived values, which [Derive]
// guards: it is safe for concurrent use.
type Snapshot struct {
	*Catalog
	// Ref is the project.
	Ref string
	// Version numbers the snapshots of a store: a later load has a larger
	// one, across projects, so it also keys caches shared by projects.
	Version uint64

	schemas []string
	derived sync.Map // key → *derivation
}

// NewSnapshot returns the snapshot of c, loaded for project ref's exposed
// schemas.
func NewSnapshot(ref string, version uint64, schemas []string, c *Catalog) *Snapshot {
	return &Snapshot{Catalog: c, Ref: ref, Version: version, schemas: slices.Clone(schemas)}
}

// Schemas are the exposed schemas the snapshot was loaded for, in the
// configured order (the first is the default one).
func (s *Snapshot) Schemas() []string { return slices.Clone(s.schemas) }

// derivation is one derived value: built once, unless the build failed.
type derivation struct {
	once sync.Once
	v    any
	err  error
}

// Derive returns the value that build makes from s under key, building it
// at the first call for that key and returning the same value afterwards.
// A failed build is not kept: the next call builds again. key should be a
// value of a type private to the caller's package, as for context keys.
func Derive[T any](s *Snapshot, key any, build func() (T, error)) (T, error) {
	e, _ := s.derived.LoadOrStore(key, &derivation{})
	d := e.(*derivation) //nolint:forcetypeassert // only derivations are stored
	d.once.Do(func() { d.v, d.err = build() })
	if d.err != nil {
		s.derived.CompareAndDelete(key, d)
		var zero T
		return zero, d.err
	}
	return d.v.(T), nil //nolint:forcetypeassert // a key is used with one type
}
