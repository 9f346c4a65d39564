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
//  2. The schema cache (to come) resolves every name against the exposed
//     schemas: relations, columns, relationships, functions.
//  3. The SQL compiler (to come) turns the resolved request into one
//     statement, quoting every identifier it resolved and binding every value
//     as a parameter; PostgreSQL builds the JSON.
//  4. The handler (to come) runs the statement in one transaction under the
//     request's role and writes PostgREST's response.
//
// Only the parser exists so far. Its entry points are [ParseRequest] for a
// whole request and [ParseQuery], [ParseSelect], [ParseFilter], [ParseLogic],
// [ParseOrder], [ParsePrefer], [ParseAccept] and [Negotiate] for the parts.
// Every error it returns is an *[Error] carrying PostgREST's code (PGRST100
// for a query-string parse error, PGRST103 for a range, PGRST122 for a
// strict Prefer, …), HTTP status and message; it marshals to PostgREST's
// JSON error body. [Query.Encode] and the String and Key methods render the
// AST back to PostgREST syntax in a stable form that parses to an equal AST.
//
// The parser keeps no state between calls; all of it is safe for concurrent
// use.
package rest
