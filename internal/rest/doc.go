// Package rest is MagFlock's PostgREST-compatible REST API, served at
// /rest/v1: the URL grammar, headers, status codes and error bodies of
// PostgREST (v12–v14), so that @supabase/postgrest-js and supabase-js work
// against it unchanged.
//
// A request goes through four stages:
//
//  1. The parser turns the method, path, query string and headers into a
//     typed [Request]: the select tree ([SelectItem]), filters ([Filter]),
//     logic trees ([Logic]), ordering ([Order]), ranges ([Range]), routine
//     arguments ([Arg]), [Preferences] and media types ([MediaType]). It is
//     pure: no I/O, no schema knowledge. Identifiers are kept as the client
//     wrote them and values as raw strings; nothing here is SQL.
//  2. The schema ([Schema]) resolves every name against the exposed
//     schemas: relations, columns, foreign keys (many-to-one, one-to-many,
//     one-to-one, many-to-many through junction tables, computed
//     relationships), functions. It is the schema cache component's
//     snapshot of the project's catalog ([Catalogs]; loaded at the first
//     request, reloaded when PostgreSQL sends NOTIFY pgrst, 'reload
//     schema', which the project migration 0002's event triggers send
//     after DDL) with the REST settings and compiled reads derived from it
//     ([catalog.Derive]). A reload brings a new snapshot; requests keep the
//     one they started with.
//  3. The SQL compiler turns the resolved request into one statement,
//     quoting every identifier it resolved and binding every value as a
//     parameter; PostgreSQL builds the JSON (row_to_json, json_agg, lateral
//     joins for embeddings, a CTE for writes). The SQL text depends only on
//     the request's shape, never on its values, so pgx's statement cache
//     hits; FuzzCompile checks it.
//  4. The handler ([Server], the "rest" component) authenticates the
//     request through the [gate.Gate] (PGRST301/302/303), asks it for a
//     decision on the target relation or function (a refusal is 403
//     42501), and the decision runs the statement in one pipelined round
//     trip ([gate.Decision.Run]): set_config of the role,
//     request.jwt.claims, request.method, request.path, request.headers
//     and search_path, then the statement, in one transaction, so
//     row-level security decides.
//     Writes whose outcome may undo them (max-affected, a singular
//     response) take a second round trip to commit or roll back.
//
// Configuration is per project: [Config] (the [rest] section) is every
// project's default, and a project's overrides, kept by the tenant
// component ([SettingsStore]) and changed through
// [Server.PatchProjectConfig], are read once per snapshot and travel
// with it, so a request sees settings and schema that agree. A change
// reaches every node the way every project change does: the tenant runs
// its change hooks (the schema cache's reloads the project) on this node
// at once and on the others through its watcher.
//
// Compiled reads are cached in the snapshot: a GET or HEAD identical to an
// earlier one, or differing only in the operands of simple filters
// (id=eq.1, id=eq.2), reuses its statement, so the usual request skips
// parsing and compiling and costs the round trip alone.
//
// Concurrency: the parser and compiler keep no state; a [Server] is safe for
// concurrent use and runs no goroutine of its own (the schema cache owns
// the listeners).
package rest
