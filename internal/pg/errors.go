package pg

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotRunning is returned by [Cluster.Health] when the server is not
// running: it was never started, has been stopped, or has exited by itself.
var ErrNotRunning = errors.New("postgres is not running")

// BinariesNotFoundError reports that no usable PostgreSQL server binaries
// (postgres and initdb) were found. Its message says how to install them.
type BinariesNotFoundError struct {
	// Searched lists the places that were looked at, in order.
	Searched []string
	// Err is the reason the last candidate was rejected, if any.
	Err error
}

func (e *BinariesNotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("PostgreSQL server binaries (postgres, initdb) not found")
	if len(e.Searched) > 0 {
		fmt.Fprintf(&b, " (searched %s)", strings.Join(e.Searched, ", "))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	b.WriteString("; install PostgreSQL 14 or newer (Debian/Ubuntu: apt-get install postgresql;" +
		" macOS: brew install postgresql@16), set the binary directory in the configuration (bin_dir)," +
		" or use an external server with --database-url")
	return b.String()
}

func (e *BinariesNotFoundError) Unwrap() error { return e.Err }

// UnsupportedVersionError reports server binaries older than the oldest
// supported major version.
type UnsupportedVersionError struct {
	Binary  string // path of the postgres binary
	Version int    // its major version
	Minimum int    // the oldest supported major version
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("PostgreSQL %d at %s is too old; mobo needs PostgreSQL %d or newer"+
		" (install a newer version, point bin_dir at it, or use --database-url)",
		e.Version, e.Binary, e.Minimum)
}

// VersionMismatchError reports a data directory initialised by another
// major version of PostgreSQL than the binaries that would run it.
type VersionMismatchError struct {
	DataDir        string
	DataVersion    string // content of PG_VERSION, e.g. "14"
	BinaryVersion  int    // major version of the binaries found
	BinaryLocation string // directory of the binaries found
}

func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("data directory %s was initialised by PostgreSQL %s, but the server binaries in %s are PostgreSQL %d;"+
		" install PostgreSQL %s and point bin_dir at it, or upgrade the data directory with pg_upgrade",
		e.DataDir, e.DataVersion, e.BinaryLocation, e.BinaryVersion, e.DataVersion)
}

// PortInUseError reports that the configured TCP port is already taken on the
// loopback interface.
type PortInUseError struct {
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d on 127.0.0.1 is already in use; choose another port or set port = 0 to pick one automatically: %v", e.Port, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// DataDirAccessError reports that the OS user PostgreSQL runs as cannot
// reach or own a directory it needs. Nothing is changed on the user's
// directories to work around it.
type DataDirAccessError struct {
	Dir    string // the directory at fault
	OSUser string // the OS user PostgreSQL runs as
	Reason string // what is wrong, e.g. "mode 0700 owned by uid 0"
	Hint   string // what to do about it
}

func (e *DataDirAccessError) Error() string {
	return fmt.Sprintf("PostgreSQL runs as OS user %q, which cannot use %s (%s); %s", e.OSUser, e.Dir, e.Reason, e.Hint)
}

// DataDirInUseError reports that another process (another mobo) holds the
// lock on the data directory.
type DataDirInUseError struct {
	DataDir string
	Err     error
}

func (e *DataDirInUseError) Error() string {
	return fmt.Sprintf("data directory %s is in use by another mobo process: %v", e.DataDir, e.Err)
}

func (e *DataDirInUseError) Unwrap() error { return e.Err }

// ExitedError reports that the postgres server process exited before it
// accepted connections. Log holds its last output lines, which usually say why.
type ExitedError struct {
	Err error    // the exit status
	Log []string // last lines of the server's output
}

func (e *ExitedError) Error() string {
	msg := fmt.Sprintf("postgres exited during startup: %v", e.Err)
	if len(e.Log) > 0 {
		msg += "; last log lines:\n\t" + strings.Join(e.Log, "\n\t")
	}
	return msg
}

func (e *ExitedError) Unwrap() error { return e.Err }
