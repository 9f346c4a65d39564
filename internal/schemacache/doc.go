// Package schemacache is the "schemacache" component: each project's
// schema catalog, as immutable [catalog.Snapshot]s that REST (PostgREST's
// grammar and OpenAPI), GraphQL and realtime read, so that every API
// resolves names against the same snapshot of the same database.
//
// A project's snapshot is loaded at its first use ([Store.Snapshot]) for
// its exposed schemas (asked of [Options.Exposed] at each load), and then
// kept current by a listener: a connection of its own LISTENing on
// PostgREST's channel (NOTIFY pgrst, 'reload schema', which the project
// migration's event triggers send after DDL). A reload swaps the pointer;
// requests keep the snapshot they started with. A load also follows:
//
//   - every (re)connection of the listener, since notifications sent while
//     it was away are lost;
//   - a change of the project's settings, keys or limits, told by the
//     tenant's change hooks ([Store.ProjectChanged]), on every node;
//   - a miss ([Store.Missed]): a name an API could not resolve, at most
//     once a second, in case a notification was lost.
//
// A project idle for [Options.Idle] (default 1 min) gives back its
// listener's connection and its snapshot, so that an idle project holds
// nothing here; its next request loads it afresh. Each listener holds a
// slot of the cluster's connection budget ([ConnectionHolder]) and gives it
// back when the budget runs short; the next request starts it again and
// meanwhile requests go on with the snapshot it left.
//
// Concurrency: a [Store] is safe for concurrent use. Each listening
// project owns one goroutine and, while its connection is up, a reloader
// goroutine that coalesces bursts of notifications into few loads; loads
// of one project are serialised, so an older load never replaces a newer
// snapshot. [Store.Stop] ends them all.
package schemacache
