// Package pgwire is the "pgwire" component: a PostgreSQL wire-protocol
// endpoint (`--pg-listen`, e.g. 127.0.0.1:6543) that routes
// postgres://USER:SERVICE_KEY@HOST:PORT/{ref} to project {ref}'s database in
// transaction-pooling mode, as PgBouncer's pool_mode=transaction does.
//
// # Connecting
//
// The database name is the project's ref; the password is the project's
// service_role key, checked with SCRAM-SHA-256 (so the key never crosses the
// wire; no channel binding, as there is no TLS). SSLRequest and
// GSSENCRequest are answered 'N': the endpoint has no TLS and is meant for
// loopback, where queries and results may pass in clear. The user name
// selects the database role: postgres, service_role or the ref give
// service_role; anon and authenticated give those roles. Of the other
// startup parameters only application_name is used (reported back): server
// connections are shared, so options such as "-c search_path=…" are
// ignored, and replication connections are refused.
//
// # Transaction pooling
//
// Each (project, role) has a pgx pool of its own, built from the tenant's
// [Projects.PoolConfig] (the project's login role, its connection limit and
// the platform's shared connection budget) with the role fixed by the
// startup parameter "role", so RESET ROLE and DISCARD ALL return to it.
// Pools of paused or deleted projects are closed within seconds.
//
// A client holds a server connection from its first message until a
// ReadyForQuery with transaction status idle arrives with nothing else in
// flight: one simple query, or an extended-protocol exchange up to its
// Sync, or a whole BEGIN … COMMIT. Messages pass through unchanged
// (pgproto3), so COPY works in both directions. A CancelRequest carries the
// fake backend key the client was given and is forwarded to the server
// connection serving that client at the time.
//
// Protocol-level prepared statements (a Parse with a name, as pgx's default
// mode and most drivers send, and the unnamed statement of pgx's
// describe_exec mode) work across transactions: the pooler remembers each
// client's Parse messages and, when a Bind or Describe names a statement
// the current server connection has not seen, sends the Parse first and
// drops its ParseComplete (PgBouncer's max_prepared_statements, without its
// server-side cache: such a statement is parsed again in each transaction
// that uses it).
//
// Other session features do not survive the end of a transaction, since
// the next one may run on another server connection: SET without LOCAL,
// SQL PREPARE/EXECUTE, WITH HOLD cursors, temporary tables, session
// advisory locks, LISTEN. LISTEN is refused (0A000). The others are
// detected by a cheap scan of the query text ([scanSQL]); a server
// connection whose client used them (or a named statement) is reset with
// DISCARD ALL before another client gets it, so one client's session state
// does not leak into another's. State changed where the scan cannot see
// (inside a function or DO block) is not reset.
//
// A server connection is never returned inside a transaction: when a
// client leaves in one, the pooler rolls it back (and resets it if dirty);
// when it leaves with a statement running, the statement is canceled and
// the connection closed.
//
// # Concurrency
//
// Each client has a goroutine reading its messages and forwarding them,
// and, while it holds a server connection, a pump goroutine forwarding the
// server's responses and returning the connection at the end of the
// transaction. [Server.Stop] closes the listener and every client and waits
// for all of them.
package pgwire
