package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// ErrNotActive: the project is being created or deleted.
var ErrNotActive error = &statusError{"the project is not active", 409}

// AdminConn opens a superuser connection to active project ref's database
// for admin work such as migrations: no statement timeout (an index build
// may take longer than the API's). A paused or inactive project is refused
// with an error saying so. The caller closes the connection.
func (c *Connections) AdminConn(ctx context.Context, ref string) (*pgx.Conn, error) {
	p, err := c.projects.Project(ref)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Status == StatusPaused:
		return nil, fmt.Errorf("project %q: %w", ref, ErrPaused)
	case p.Status != StatusActive:
		return nil, fmt.Errorf("project %q is %s: %w", ref, p.Status, ErrNotActive)
	}
	cfg, err := pgx.ParseConfig(c.srv.ConnString(p.Database))
	if err != nil {
		return nil, fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["application_name"] = "mobo admin"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to project %q: %w", ref, err)
	}
	return conn, nil
}

// Connection says how a person reaches a project's database directly: the
// role that owns it in managed mode (the served database's own user in
// external mode, where mobo made no owner), over TCP on 127.0.0.1 where the
// cluster offers it (a client on this machine reaches it whoever it runs
// as; the unix socket's directory may not be reachable).
type Connection struct {
	URL, User, Password, Database string
	Superuser                     bool   // User is the cluster's superuser
	BinDir                        string // the server's programs; "" when unknown
}

// DirectConnection returns how to connect to project ref's database.
func (c *Connections) DirectConnection(ctx context.Context, ref string) (Connection, error) {
	p, err := c.projects.Project(ref)
	if err != nil {
		return Connection{}, err
	}
	raw := c.srv.ConnString(p.Database)
	if tcp, ok := c.srv.(interface{ TCPConnString(string) string }); ok {
		raw = tcp.TCPConnString(p.Database)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Connection{}, fmt.Errorf("connection URL of project %q: %w", ref, err)
	}
	conn := Connection{Database: p.Database, Superuser: true, User: u.User.Username()}
	conn.Password, _ = u.User.Password()
	owner, password, err := ownerCredentials(ctx, c.cp, c.external, ref)
	switch {
	case err == nil:
		conn.User, conn.Password, conn.Superuser = owner, password, false
	case !errors.Is(err, ErrNoOwner):
		return Connection{}, err
	}
	u.User = url.User(conn.User)
	conn.URL = u.String()
	if b, ok := c.srv.(interface{ BinDir() string }); ok {
		conn.BinDir = b.BinDir()
	}
	return conn, nil
}
