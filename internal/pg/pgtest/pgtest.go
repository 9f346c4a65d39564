package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/pg"
)

// EnvURL names the environment variable holding a superuser URL of a
// running server to use instead of starting one.
const EnvURL = "MOBO_TEST_DATABASE_URL"

// envLog, when set to anything, sends the managed server's log to stderr.
const envLog = "MOBO_TEST_PG_LOG"

// Timeouts of the helpers' own work.
const (
	startTimeout = 2 * time.Minute
	stopTimeout  = 30 * time.Second
	opTimeout    = time.Minute
)

// advisoryLockClass is the first key of the advisory locks that serialise
// template builds ("mobo" in ASCII); the second is a hash of the template.
const advisoryLockClass = 0x6d6f626f

// server is the one server of this test binary.
var server struct {
	once    sync.Once
	mu      sync.Mutex // guards cluster and dir against Run's shutdown
	url     string     // superuser URL of the postgres database
	cluster *pg.Cluster
	dir     string
	err     error
}

// ServerConfig is the configuration of a throwaway test server with its
// files in dir: durability is traded for speed (no fsync, no WAL archive)
// and there is room for many parallel tests' connections.
func ServerConfig(dir string) pg.Config {
	return pg.Config{
		DataDir:        filepath.Join(dir, "pg"),
		MaxConnections: 500,
		Settings: map[string]string{
			"fsync":              "off",
			"synchronous_commit": "off",
			"full_page_writes":   "off",
			"archive_mode":       "off",
		},
	}
}

// Cluster returns the superuser URL of the postgres database on the test
// server, starting the server on first use. The server is the one at
// MOBO_TEST_DATABASE_URL when that is set; otherwise a managed cluster shared
// by the whole test binary and stopped by [Run]. Tests should not change the
// postgres database; [NewDB] gives each test a database of its own.
func Cluster(t testing.TB) string {
	t.Helper()
	server.once.Do(func() { server.url, server.err = startServer() })
	if server.err != nil {
		t.Fatalf("pgtest: %v", server.err)
	}
	return server.url
}

func startServer() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	// A short path under the temporary directory: the unix socket lives in
	// it, and socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "mobopg")
	if err != nil {
		return "", fmt.Errorf("creating the test cluster's directory: %w", err)
	}
	// Under root the server runs as the postgres user, which must reach it.
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // our own temporary directory
		return "", err
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv(envLog) != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	c := pg.NewCluster(ServerConfig(dir), log.With("component", "postgres"))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("starting the test cluster (or set %s to a running server's superuser URL): %w", EnvURL, err)
	}
	server.mu.Lock()
	server.cluster, server.dir = c, dir
	server.mu.Unlock()
	return c.ConnString("postgres"), nil
}

// Run runs the tests, then stops the test binary's managed server, if one
// was started, and removes its files. It returns the exit code for os.Exit.
// Use it instead of [Main] to do more work in TestMain after the tests.
func Run(m *testing.M) int {
	code := m.Run()
	if err := shutdown(); err != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("pgtest: stopping the test cluster", "error", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Main runs the tests with [Run] and exits. Every package whose tests use
// pgtest calls it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without it the server still stops when the test binary exits (it gets a
// parent-death signal), but its files are left in the temporary directory.
func Main(m *testing.M) { os.Exit(Run(m)) }

func shutdown() error {
	server.mu.Lock()
	defer server.mu.Unlock()
	if server.cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	err := server.cluster.Stop(ctx)
	server.cluster = nil
	return errors.Join(err, os.RemoveAll(server.dir))
}

// DB is a database of one test, dropped when the test ends.
type DB struct {
	// Name is the database's name.
	Name string
	// ConnString is a superuser URL for the database.
	ConnString string
	// Pool is connected to the database as superuser; it is closed when
	// the test ends.
	Pool *pgxpool.Pool
}

// Option configures [NewDB].
type Option func(*options)

type options struct {
	template *template
}

// Template makes NewDB clone the database from a template that setup
// prepares (typically by running migrations). setup runs once per name and
// version, against a fresh database built from template0, and the template
// is then reused by every test, and by every test binary sharing the server.
// Pass as version something that changes whenever setup's result would, such
// as a hash of the migrations. A template is never used half-built, and
// concurrent builders (tests or binaries) wait for one another.
//
// Templates stay on a server given by MOBO_TEST_DATABASE_URL; each version
// adds one.
func Template(name, version string, setup func(ctx context.Context, conn *pgx.Conn) error) Option {
	return func(o *options) {
		o.template = &template{name: name, version: version, setup: setup, dbName: templateDBName(name, version)}
	}
}

// NewDB creates an empty database (or a clone of a [Template]) for the
// test, and drops it when the test ends.
func NewDB(t testing.TB, opts ...Option) *DB {
	t.Helper()
	adminURL := Cluster(t)
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()

	source := "template0"
	if o.template != nil {
		if err := ensureTemplate(ctx, adminURL, o.template); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		source = o.template.dbName
	}

	name := "t_" + randomHex(8)
	err := withAdmin(ctx, adminURL, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(source))
		return err
	})
	if err != nil {
		t.Fatalf("pgtest: creating database %s from %s: %v", name, source, err)
	}
	db := &DB{Name: name, ConnString: WithDatabase(adminURL, name)}
	t.Cleanup(func() {
		if db.Pool != nil {
			db.Pool.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := dropDatabase(ctx, adminURL, name); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	db.Pool, err = pgxpool.New(ctx, db.ConnString)
	if err != nil {
		t.Fatalf("pgtest: connecting to database %s: %v", name, err)
	}
	return db
}

func dropDatabase(ctx context.Context, adminURL, name string) error {
	return withAdmin(ctx, adminURL, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
		return err
	})
}

// template is a template database and how to build it.
type template struct {
	name, version string
	setup         func(ctx context.Context, conn *pgx.Conn) error
	dbName        string
}

// templates remembers the templates this test binary has made sure of, so
// that each is looked at (and built) once per binary.
var templates struct {
	mu     sync.Mutex
	states map[string]*templateState
}

type templateState struct {
	once sync.Once
	err  error
}

func ensureTemplate(ctx context.Context, adminURL string, tpl *template) error {
	templates.mu.Lock()
	if templates.states == nil {
		templates.states = map[string]*templateState{}
	}
	st := templates.states[tpl.dbName]
	if st == nil {
		st = &templateState{}
		templates.states[tpl.dbName] = st
	}
	templates.mu.Unlock()
	st.once.Do(func() { st.err = buildTemplate(ctx, adminURL, tpl) })
	return st.err
}

// buildTemplate creates tpl's database unless it exists. Builders on the
// same server, in this binary or another, are serialised by an advisory
// lock. The database is built under a temporary name and renamed and marked
// as a template only when setup succeeded, so a template that exists is
// complete.
func buildTemplate(ctx context.Context, adminURL string, tpl *template) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("template %s: connecting: %w", tpl.name, err)
	}
	// Closing the session also releases the advisory lock.
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", advisoryLockClass, lockKey(tpl.dbName)); err != nil {
		return fmt.Errorf("template %s: locking: %w", tpl.name, err)
	}
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1 AND datistemplate)", tpl.dbName).Scan(&exists)
	if err != nil || exists {
		return err
	}

	build := tpl.dbName + "_b"
	for _, sql := range []string{
		"DROP DATABASE IF EXISTS " + ident(build) + " WITH (FORCE)", // left by a builder that died
		"CREATE DATABASE " + ident(build) + " TEMPLATE template0",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("template %s: %w", tpl.name, err)
		}
	}
	if err := runSetup(ctx, WithDatabase(adminURL, build), tpl); err != nil {
		if _, dropErr := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(build)+" WITH (FORCE)"); dropErr != nil {
			err = errors.Join(err, dropErr)
		}
		return err
	}
	for _, sql := range []string{
		"ALTER DATABASE " + ident(build) + " RENAME TO " + ident(tpl.dbName),
		// No connections: a session on a template makes cloning it fail.
		"ALTER DATABASE " + ident(tpl.dbName) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("template %s: %w", tpl.name, err)
		}
	}
	return nil
}

func runSetup(ctx context.Context, connString string, tpl *template) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("template %s: connecting: %w", tpl.name, err)
	}
	err = tpl.setup(ctx, conn)
	closeErr := conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("template %s (version %s) setup: %w", tpl.name, tpl.version, err)
	}
	return closeErr
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// templateDBName derives the template's database name from its name and
// version: readable, and at most 47 bytes so the build name fits in 63.
func templateDBName(name, version string) string {
	readable := unsafeChars.ReplaceAllString(strings.ToLower(name), "_")
	if len(readable) > 28 {
		readable = readable[:28]
	}
	sum := sha256.Sum256([]byte(name + "\x00" + version))
	return "tpl_" + readable + "_" + hex.EncodeToString(sum[:7])
}

func lockKey(s string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return int32(h.Sum32()) //nolint:gosec // wrapping is fine for a lock key
}

// withAdmin runs f on a new superuser connection to the postgres database.
// Connections are not pooled, so that nothing of pgtest's stays open
// between tests.
func withAdmin(ctx context.Context, adminURL string, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	err = f(conn)
	return errors.Join(err, conn.Close(ctx))
}

// WithDatabase returns connString (a URL or keyword/value string) with its
// database replaced by database.
func WithDatabase(connString, database string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err == nil {
			u.Path = "/" + database
			u.RawPath = ""
			q := u.Query()
			if q.Has("dbname") {
				q.Del("dbname")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
	}
	// In keyword/value form the last setting of a keyword wins.
	quoted := strings.ReplaceAll(strings.ReplaceAll(database, `\`, `\\`), `'`, `\'`)
	return connString + " dbname='" + quoted + "'"
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// Server is a test server's superuser URL serving the connection strings
// and database creation that components ask of the managed cluster.
type Server string

// ConnString returns the URL for database.
func (s Server) ConnString(database string) string { return WithDatabase(string(s), database) }

// CreateDatabase creates database db unless it exists.
func (s Server) CreateDatabase(ctx context.Context, db string) error {
	return pg.CreateDatabase(ctx, s.ConnString("postgres"), db)
}

// UnreachablePool returns a pool whose every connection attempt fails: it
// points at a loopback port nothing listens on, as a server that is down.
func UnreachablePool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@"+addr+"/nothing?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
