// Package dbmigrate runs a project's own SQL migrations: the files that
// `mobo db migration new` creates under migrations/ (or supabase/migrations/)
// and that `mobo db migration up|down|status|repair` applies to a project
// database. The platform's own schema is internal/migrate's business.
//
// # Files
//
// A migration is a file named VERSION_NAME.sql, VERSION being digits (the
// CLI writes a UTC timestamp, YYYYMMDDHHMMSS, as Supabase's CLI does) and
// NAME anything after the first underscore. Files are applied in numeric
// version order. A file may hold an up part and a down part, each introduced
// by a marker line ([Split] has the rules):
//
//	-- +migrate Up
//	create table notes (id bigint primary key, body text);
//
//	-- +migrate Down
//	drop table notes;
//
// A file without markers (Supabase's style) is all up part and cannot be
// reverted. Markers are recognised on their own line only; a marker line
// inside a string or a function body is still taken as a marker.
//
// # Records
//
// Applied migrations are recorded in the project database in
// supabase_migrations.schema_migrations, the table Supabase's CLI keeps
// (version text primary key, statements text[], name text), with two columns
// of ours added: checksum (hex SHA-256 of the whole file) and applied_at.
// statements holds the up part as one element. A project moved from Supabase
// keeps its history; its rows have no checksum and are not verified.
//
// An applied migration whose file has changed is an error ([ErrChecksumMismatch])
// for up and down alike, never a silent re-run; `repair --status applied`
// records the file as it is now.
//
// # Transactions and concurrency
//
// Each migration runs in its own transaction together with its record, so a
// failed one leaves the database as it was before it and is not recorded;
// the ones before it stay applied. A migration must not end the transaction
// itself (COMMIT in the file is reported as an error). Statements that cannot
// run in a transaction (CREATE INDEX CONCURRENTLY) are not supported.
//
// [Up], [Down] and [Repair] hold a session advisory lock on the connection
// they are given for their whole run, so concurrent runners against one
// database (two CLIs, two nodes) apply each migration once. Advisory locks are
// per database, so projects do not wait for each other. The functions are
// safe for concurrent use with distinct connections.
package dbmigrate
