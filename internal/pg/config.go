package pg

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Defaults applied to zero-valued [Config] fields.
const (
	DefaultDataDir        = "mobo_data/pg"
	DefaultOSUser         = "postgres"
	DefaultMaxConnections = 500
	DefaultSharedBuffers  = "128MB"
)

// Config configures a managed [Cluster]. The zero value is valid and means:
// data in ./mobo_data/pg, a port chosen automatically (and kept across
// restarts), binaries found automatically, socket directory next to the data
// directory.
type Config struct {
	// DataDir is the PostgreSQL data directory (PGDATA). Files mobo keeps
	// about the cluster (superuser password, last port, socket directory)
	// live in its parent directory. Default "mobo_data/pg".
	DataDir string `toml:"data_dir"`

	// Port is the TCP port on 127.0.0.1. Zero picks one automatically: the
	// port of the previous run if it is still free, otherwise any free port.
	// An explicit port that is taken is an error.
	Port int `toml:"port"`

	// BinDir is the directory holding the postgres and initdb binaries.
	// Empty searches PATH, pg_config --bindir and the usual install
	// locations, newest major version first; for an existing data
	// directory, an installation of its major version comes first.
	BinDir string `toml:"bin_dir"`

	// SocketDir is the directory for the unix socket. Empty uses "run" next
	// to the data directory, or a short temporary directory when that path
	// would exceed the unix socket path limit.
	SocketDir string `toml:"socket_dir"`

	// OSUser is the OS user PostgreSQL runs as when mobo runs as root
	// (PostgreSQL refuses to run as root). Ignored otherwise. Default
	// "postgres".
	OSUser string `toml:"os_user"`

	// MaxConnections is the server's max_connections. Default 500: one
	// server hosts many projects, each with pools that open connections on
	// demand and close them when idle; the cap costs a little shared
	// memory per slot, not a process.
	MaxConnections int `toml:"max_connections"`

	// SharedBuffers is the server's shared_buffers, e.g. "128MB". Default
	// "128MB".
	SharedBuffers string `toml:"shared_buffers"`

	// Settings are extra server settings (postgresql.conf names and values),
	// applied after mobo's own. The port, socket and listen address are
	// mobo's and cannot be set here.
	Settings map[string]string `toml:"settings"`
}

var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_.]*$`)

// reservedSettings are set by the cluster on the command line; allowing them
// in Settings would let the two disagree.
var reservedSettings = map[string]string{
	"port":                    "use port",
	"unix_socket_directories": "use socket_dir",
	"listen_addresses":        "the server listens on 127.0.0.1 only",
	"data_directory":          "use data_dir",
}

// Validate reports the first invalid field, if any.
func (c Config) Validate() error {
	if c.DataDir != "" {
		clean := filepath.Clean(c.DataDir)
		if clean == "/" || clean == "." || filepath.Dir(clean) == clean {
			return fmt.Errorf("data_dir %q: must be a directory below another directory", c.DataDir)
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d: must be between 1 and 65535, or 0 for automatic", c.Port)
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("max_connections %d: must not be negative", c.MaxConnections)
	}
	if c.SharedBuffers != "" && !validSettingValue(c.SharedBuffers) {
		return fmt.Errorf("shared_buffers %q: invalid characters", c.SharedBuffers)
	}
	if strings.ContainsAny(c.OSUser, "\x00\n:/") {
		return fmt.Errorf("os_user %q: invalid user name", c.OSUser)
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Settings)) {
		value := c.Settings[name]
		switch {
		case !settingName.MatchString(name):
			errs = append(errs, fmt.Errorf("settings: invalid setting name %q", name))
		case reservedSettings[name] != "":
			errs = append(errs, fmt.Errorf("settings: %q is managed by mobo (%s)", name, reservedSettings[name]))
		case !validSettingValue(value):
			errs = append(errs, fmt.Errorf("settings: %s: value contains a newline or NUL", name))
		}
	}
	return errors.Join(errs...)
}

func validSettingValue(v string) bool { return !strings.ContainsAny(v, "\x00\r\n") }

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.OSUser == "" {
		c.OSUser = DefaultOSUser
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.SharedBuffers == "" {
		c.SharedBuffers = DefaultSharedBuffers
	}
	return c
}
