// Package pgtest gives integration tests a real PostgreSQL database each.
//
// [NewDB] creates a fresh database for one test (CREATE DATABASE … TEMPLATE)
// and drops it when the test ends, so tests run in parallel without seeing
// each other's data. With [Template] the database is a clone of a template
// built once (for example by running migrations) and shared by all tests.
//
// The server is the one at MOBO_TEST_DATABASE_URL, a superuser URL, when that
// variable is set; the Makefile starts one for the whole run with the
// pgtestserver command. Otherwise the first test that needs it starts a
// managed cluster ([github.com/magflock/mobo/internal/pg.Cluster]) in a
// temporary directory, shared by all tests of the test binary. Packages using
// pgtest stop it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Set MOBO_TEST_PG_LOG=1 to see the managed server's log.
//
// # Concurrency
//
// Every function may be called from parallel tests. The server starts once
// per test binary; each template is checked (and built if missing) once per
// test binary, and builders in different binaries sharing a server are
// serialised by an advisory lock. Between tests pgtest keeps no connection
// open: each [DB] has its own pool, closed before the database is dropped.
package pgtest
