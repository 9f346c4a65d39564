// Package tenant owns projects: one PostgreSQL database each, with the roles
// Supabase clients expect (anon, authenticated, service_role, and the
// authenticator login role that switches to them), a JWT secret, and the
// Supabase-style anon and service_role keys signed with it.
//
// At Start the [Manager] makes sure the default project exists: in managed
// mode a database of its own, in external mode the database the user gave,
// to which mobo adds only roles, grants and its auth and mobo schemas, and
// never alters existing tables. Each addition is logged once, when made.
// A project is created in steps recorded in the control plane (status
// "creating" until every step is done), so a start after a crash finishes a
// half-made project.
//
// The tenant is split by responsibility. Each part is a type with its own
// state; the components that use one are given that part alone, through
// the small interface they declare:
//
//   - [Manager], the "tenant" component: the lifecycle of projects (Create,
//     Rename, Pause, Resume, Delete, RotateKeys, the recovery of a
//     half-done change at Start), the registration of the setup, teardown
//     and change hooks, and the kernel's methods (its Ready and Reset are
//     those of its Connections). It hands out the other parts.
//   - [Projects], the catalogue: every project this node knows, as last
//     read from the control plane; lookups from memory (Project,
//     ProjectState, Refs, JWTSecret, Database, ServiceKey, RequestRate).
//   - [Connections]: the projects' API and service pools, opened at first
//     use; the cluster's connection budget, which every pool connection,
//     long-lived connection of another component (HoldConnection) and
//     pool of another component (TrackPool) takes a slot of; the fair
//     share of the cluster's backends among busy projects (Share); admin
//     and direct connections; Stats, Ready and Reset.
//   - [Settings]: each project's per-API settings (REST, auth), stored
//     with their secrets sealed.
//   - [Quotas]: each project's limits, and the size quota that makes an
//     oversized database read-only.
//
// Inside the package, a store reads and writes the rows of mobo.projects
// and seals their secrets (store.go), a provisioner makes a project's
// database (roles, owner, migrations, setup and teardown hooks;
// provision.go), and a watcher follows the changes that other nodes and
// the CLI make to the control plane (watch.go).
//
// One mechanism tells every component, on every node, that a project's
// settings, keys or limits changed: the change hooks
// ([Manager.AddChangeHook]). The part that makes a change on this node runs
// them at once (Settings, RotateKeys); the watcher of every other node,
// told by the control plane's NOTIFY, runs them there. Limits reach the
// components without a hook: Connections reopen the project's pools with
// them, and RequestRate and OverQuota are read at each request.
//
// Concurrency: hooks are registered before Start and only read after. The
// catalogue is under its own lock, and its entries are never changed in
// place: a change stores a changed copy, so a *Project handed out stays as
// it was read. Connections keep their pools, holds and tracked pools under
// a lock of their own and never hold it across I/O; the budget and the
// fair share have their own. Settings and Quotas keep no state besides
// the catalogue's. Lifecycle changes are serialised within the process by
// the Manager; across nodes, by the control plane's rows. Every part is
// safe for concurrent use once the Manager has started. The Manager owns
// two goroutines (the watcher and the periodic quota check), ended and
// waited for by Stop.
package tenant
