// Package gate is the request path every API shares: credentials →
// principal → authorization → the project's fair share → a connection →
// a transaction as that principal.
//
//   - [Credentials] are what a request presented (apikey, bearer token,
//     address); an [Authenticator] (the auth component's, or
//     [SecretAuthenticator]) turns them into a [Principal]: the database
//     role, the verified claims, a scoped key's [Scope]s and RBAC roles.
//   - [Gate.Authorize] decides whether a principal may do some [Action]s
//     on a project, in order: a scoped key's scopes must allow each
//     action (pure, no I/O); a principal carrying roles must hold one
//     whose permissions cover it ([RoleAuthorizer], the auth component's;
//     without one such principals are refused); what is left is
//     PostgreSQL's own grants and row-level security.
//   - A [Decision] is the only way to run SQL as a principal:
//     [Decision.Run] (one pipelined round trip, as REST and GraphQL run
//     their statements), [Decision.Begin] and [Decision.QueueSetup] switch
//     the transaction to the principal's role with its claims in
//     request.jwt.claims.
//   - Connections come from the gate too: [Decision.Acquire] (a
//     [Session]) and [Decision.Query] wait for the project's fair share of
//     the cluster's backends ([Sharer], the tenant's), then take a
//     connection of its pool ([Pools]); [Gate.ReadCatalog] does the same
//     for a system-catalog read as no principal. So every API's requests
//     share the backends the same way. Only this package switches roles
//     (TestOnlyTheGateSwitchesRoles checks the module's code), and only
//     [Gate.Authorize] makes a Decision, so an API cannot run a statement,
//     a subscription's row checks or a broadcast for a principal it did
//     not authorize.
//
// The sentinel watches the same path ([Options.Watch], a [Watcher]):
// Authorize refuses a blocked key, user or session, Run has every
// statement's bound values inspected before it runs, and the request's
// [event.Note] learns the actor and the route for the sentinel's agents.
//
// With [Options.Tracer], a sampled request's way through the gate is
// traced under its span: gate.authenticate, gate.authorize, gate.acquire
// and one client span per SQL round trip ([Decision.Run]), named by its
// operation and relation, its text only with [Options.TraceStatements].
//
// The project ref travels explicitly: [Gate.Authorize] takes it, and the
// decision carries it ([Decision.Ref]).
//
// Scopes are written api:action[:resource] ([ParseScope]); the APIs are
// rest, graphql and realtime (tables: schema.relation, schema.*, *),
// broadcast and presence (channel topics, "*" matching any run of
// characters) and auth (admin).
//
// Concurrency: a [Gate] and its decisions are immutable and safe for
// concurrent use; the gate keeps no state beyond its dependencies, which
// keep their own caches.
package gate
