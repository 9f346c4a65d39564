// Package pg runs mobo's managed PostgreSQL cluster.
//
// A [Cluster] is the kernel component "postgres". On its first start it
// finds the installed server binaries (see [Config.BinDir]), runs initdb
// and then runs the server as a child process of mobo. When mobo is pointed
// at an external server instead (--database-url), this package is not used.
//
// # What it owns
//
// The data directory ([Config.DataDir], PGDATA) and, next to it in the same
// parent directory:
//
//	pg/                     the data directory
//	pg_superuser_password   the superuser's password (0600), made with crypto/rand
//	pg_port                 the port of the last run, reused when port = 0
//	pg.lock                 flock held while this process runs the server
//	run/                    the unix socket, when the path is short enough
//
// One cluster per parent directory. Settings mobo manages are written to
// pg/mobo.conf at every start and included from postgresql.conf; settings
// made with ALTER SYSTEM override them. The port, the socket directory and
// the listen address (127.0.0.1 only) are given on the command line.
//
// WAL archiving is on (archive_mode needs a restart to change), but the
// archive_command accepts and drops every segment until the backup
// component sets its own and reloads; mobo keeps no WAL archive itself.
//
// The server process is mobo's child, in its own process group so that a
// Ctrl-C on the terminal reaches mobo only, and mobo stops it in order. On
// Linux it also gets a parent-death signal: if mobo dies, even by SIGKILL,
// the server receives SIGINT and shuts down. A server that survives its mobo
// anyway (other systems, or a signal race) is found through postmaster.pid on
// the next start, stopped and replaced. The data directory lock makes sure
// that this never stops the server of another live mobo. Whether the process
// postmaster.pid names is that server is judged from what /proc shows
// without CAP_SYS_PTRACE (root in a container); when that cannot tell,
// nothing is stopped or removed and postgres refuses to start, naming the
// pid. initdb, too, dies with mobo.
//
// When mobo runs as root, initdb and the server run as the OS user
// [Config.OSUser] ("postgres"), since PostgreSQL refuses to run as root; the
// directories above are given to that user, and the data directory must be
// reachable by it. Users' own directories are never chmod-ed to make it so.
//
// # Concurrency
//
// [Cluster.Start] and [Cluster.Stop] are serialised by the cluster; the
// kernel calls them from its goroutine. [Cluster.Health] and the accessors
// ([Cluster.ConnString], [Cluster.Port], …) may be called from any goroutine
// at any time; the accessors are meaningful after Start. A running cluster
// holds one goroutine (and its OS thread) waiting for the server process,
// and one reading its output; Stop waits for both to finish.
//
// The package is for Unix systems; the parent-death signal is Linux only.
//
// Tests use the sibling package pgtest rather than a Cluster of their own.
package pg
