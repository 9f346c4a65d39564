package pg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/kernel"
)

// External is the "postgres" component when mobo is given a server with
// --database-url instead of running its own. It checks the server once at
// Start and hands out connection strings; features that need control of the
// server (point-in-time recovery, restarts) are off in this mode.
type External struct {
	u   *url.URL
	log *slog.Logger

	mu      sync.Mutex
	version int
}

var (
	_ kernel.Component     = (*External)(nil)
	_ kernel.HealthChecker = (*External)(nil)
)

// NewExternal parses a postgres:// URL naming the database to serve.
func NewExternal(databaseURL string, log *slog.Logger) (*External, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("database URL: want postgres://user:password@host:port/database")
	}
	if strings.Trim(u.Path, "/") == "" {
		return nil, errors.New("database URL: name the database to serve, as in postgres://user@host:5432/appdb")
	}
	return &External{u: u, log: log}, nil
}

// Name implements [kernel.Component].
func (e *External) Name() string { return "postgres" }

// Requires implements [kernel.Component].
func (e *External) Requires() []string { return nil }

// Start connects once to check the server is reachable and recent enough.
func (e *External) Start(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, e.u.String())
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", e.Redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var num int
	if err := conn.QueryRow(ctx, "select current_setting('server_version_num')::int").Scan(&num); err != nil {
		return fmt.Errorf("reading server version: %w", err)
	}
	if num/10000 < MinVersion {
		return fmt.Errorf("PostgreSQL %d at %s is too old: mobo needs %d or newer", num/10000, e.Redacted(), MinVersion)
	}
	e.mu.Lock()
	e.version = num / 10000
	e.mu.Unlock()
	e.log.Info("using external PostgreSQL", "url", e.Redacted(), "version", num/10000)
	return nil
}

// Stop implements [kernel.Component]; there is nothing to stop.
func (e *External) Stop(context.Context) error { return nil }

// Health checks that the server answers.
func (e *External) Health(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, e.u.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// Database is the database named in the URL: the one served as the default project.
func (e *External) Database() string { return strings.Trim(e.u.Path, "/") }

// ConnString returns the URL with its database replaced by database ("" keeps it).
func (e *External) ConnString(database string) string {
	if database == "" {
		return e.u.String()
	}
	u := *e.u
	u.Path = "/" + database
	u.RawPath = ""
	return u.String()
}

// Redacted is the URL without its password (in the user part or in a
// password= query parameter), for logs and status output.
func (e *External) Redacted() string { return RedactURL(e.u) }

// RedactURL returns u with every password masked: the user part's and the
// query parameters pgx reads secrets from.
func RedactURL(u *url.URL) string {
	c := *u
	q := c.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	c.RawQuery = q.Encode()
	return c.Redacted()
}

// Version is the server's major version, known after Start.
func (e *External) Version() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version
}
