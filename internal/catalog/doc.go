// Package catalog is the schema catalog every API reads: the relations,
// columns, keys, views' base tables and functions of a project's exposed
// schemas, loaded by [Load] in one round trip and kept as an immutable
// [Catalog] snapshot. REST (PostgREST's grammar and OpenAPI) and GraphQL
// (pg_graphql's schema) resolve names against it; realtime reads the same
// database catalog for its subscriptions.
//
// A Catalog is never modified once loaded or built (tests and fixtures
// build one with [New], [Catalog.AddRelation] and [Relation.AddColumn]
// before sharing it), so it is safe for concurrent use. Names are kept as
// PostgreSQL spells them; [QName.Sanitize] quotes one for SQL.
//
// A [Snapshot] is one load of a project's catalog, numbered; the schema
// cache component (package schemacache) keeps each project's current one
// and reloads it. What an API builds from a snapshot it keeps with
// [Derive], so that it goes with the snapshot.
package catalog
