// Package graphql is the "graphql" component: a GraphQL API at /graphql/v1
// with the shape of Supabase's pg_graphql, generated from the REST
// component's schema cache (one schema per snapshot) and compiled, whole
// operation at once, to one SQL statement that returns the response's data
// as json. The statement runs in the REST component's role-switched
// transaction, so row-level security applies. Queries are parsed and
// validated by gqlparser; introspection is answered in Go from the
// generated schema.
package graphql
