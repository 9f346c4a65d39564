// Package graphql is the "graphql" component: a GraphQL API at /graphql/v1
// with the shape of Supabase's pg_graphql, generated from the REST
// component's schema cache (one schema per snapshot) and compiled, whole
// operation at once, to one SQL statement that returns the response's data
// as json. The statement runs in the REST component's role-switched
// transaction, so row-level security applies. Queries are parsed and
// validated by gqlparser; introspection is answered in Go from the
// generated schema.
//
// The generated schema ([model]) covers tables and views, their
// relationships, functions ([function]: Query, Mutation and computed
// fields by volatility and arguments) and pg_graphql's comment directives;
// the directives the schema cache has no comments for (foreign keys, enum
// types, the schema) come from one catalog query per snapshot
// ([catalogComments]). A browser's GET gets GraphiQL (graphiql.go).
//
// Concurrency: a [Server] serves requests from any goroutine. A model is
// built once per snapshot and immutable after; its prepared operations
// ([prepared]) are kept in the server's kernel cache, keyed by model, and
// shared read-only by requests.
package graphql
