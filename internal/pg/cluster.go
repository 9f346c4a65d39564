package pg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/kernel"
)

var (
	_ kernel.Component     = (*Cluster)(nil)
	_ kernel.HealthChecker = (*Cluster)(nil)
	_ kernel.FaultReporter = (*Cluster)(nil)
	_ kernel.ResetReporter = (*Cluster)(nil)
)

// Timing of Start and Stop.
const (
	// defaultStartTimeout bounds Start when its ctx has no deadline. Crash
	// recovery after an unclean stop may take a while.
	defaultStartTimeout = 2 * time.Minute
	// Once Stop's ctx is done: how long an immediate shutdown (SIGQUIT)
	// may take before the process group is killed, and how long the kill.
	stopQuitTimeout = 5 * time.Second
	stopKillTimeout = 5 * time.Second
	// portAttempts bounds the retries when an automatically chosen port is
	// taken between the check and the server's bind.
	portAttempts = 3
	// abortTimeout is how long a server that failed to start gets for a
	// fast shutdown.
	abortTimeout = 10 * time.Second
	// lockWait is how long a busy data directory lock is retried.
	lockWait = 2 * time.Second
)

// Cluster is a PostgreSQL server run by mobo from the installed binaries,
// with its data in [Config.DataDir]. It is the kernel component "postgres".
//
// Start and Stop may be called from any goroutine and are serialised; Health
// and the accessors may be called concurrently with anything.
type Cluster struct {
	cfg   Config
	log   *slog.Logger
	procs procReader // nil: the real /proc

	opMu sync.Mutex // serialises Start and Stop

	mu        sync.Mutex // guards the fields below
	bins      *binaries
	dataDir   string // absolute
	socketDir string
	tmpSocket bool // socketDir is a temporary directory, removed by Stop
	port      int
	password  string
	lock      *os.File // the data directory lock, held while running
	proc      *process
	pool      *pgxpool.Pool // for Health

	resets chan struct{} // Resets: the server ended every session
}

// NewCluster returns a stopped cluster. Nothing is checked or touched
// before Start. A nil log discards the server's output.
func NewCluster(cfg Config, log *slog.Logger) *Cluster {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cluster{cfg: cfg, log: log, resets: make(chan struct{}, 1)}
}

// Name returns "postgres".
func (c *Cluster) Name() string { return "postgres" }

// Requires returns nothing: the cluster is the first component to start.
func (c *Cluster) Requires() []string { return nil }

// Start initialises the data directory on first use, starts the server and
// returns once it accepts connections. It returns nil at once if the server
// is already running. If ctx has no deadline, Start gives up after two
// minutes.
func (c *Cluster) Start(ctx context.Context) (err error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	running := c.proc != nil && !c.proc.exited()
	c.mu.Unlock()
	if running {
		return nil
	}
	// A server that exited by itself leaves a process to reap and a lock.
	if err := c.stop(ctx); err != nil {
		return err
	}

	if err := c.cfg.Validate(); err != nil {
		return fmt.Errorf("postgres configuration: %w", err)
	}
	cfg := c.cfg.withDefaults()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	began := time.Now()

	// An explicit port that is taken fails before any work; it is checked
	// again right before the server starts.
	if cfg.Port != 0 {
		if err := portFree(cfg.Port); err != nil {
			return &PortInUseError{Port: cfg.Port, Err: err}
		}
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("resolving data directory: %w", err)
	}
	// An existing cluster wants binaries of its own major version. Read
	// before the lock is taken, PG_VERSION is checked again below.
	dataVersion, err := readPGVersion(dataDir)
	if err != nil {
		return err
	}
	want, _ := strconv.Atoi(dataVersion) // none, or a pre-10 "9.6": no preference
	bins, err := findBinaries(ctx, cfg.BinDir, want)
	if err != nil {
		return err
	}
	u, err := lookupOSUser(cfg.OSUser)
	if err != nil {
		return err
	}
	baseDir := filepath.Dir(dataDir)
	if err := mkdirAll(baseDir); err != nil {
		return fmt.Errorf("creating %s: %w", baseDir, err)
	}
	if err := u.checkReachable(baseDir); err != nil {
		return err
	}

	lock, err := lockDataDir(ctx, baseDir, dataDir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = lock.Close()
		}
	}()

	if v, err := readPGVersion(dataDir); err != nil {
		return err
	} else if v != "" && v != strconv.Itoa(bins.major) {
		return &VersionMismatchError{DataDir: dataDir, DataVersion: v, BinaryVersion: bins.major, BinaryLocation: bins.dir}
	}
	if err := c.recoverOrphan(ctx, dataDir); err != nil {
		return err
	}
	password, err := c.initialize(ctx, cfg, bins, u, dataDir, baseDir, lock)
	if err != nil {
		return err
	}
	if err := u.checkOwner(dataDir); err != nil {
		return err
	}
	if err := c.writeConf(cfg, dataDir, u); err != nil {
		return err
	}
	socketDir, tmpSocket, err := chooseSocketDir(cfg.SocketDir, baseDir, u)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && tmpSocket {
			_ = os.RemoveAll(socketDir)
		}
	}()

	portFile := filepath.Join(baseDir, portFileName)
	var proc *process
	var port int
	for attempt := 1; ; attempt++ {
		port, err = choosePort(cfg.Port, portFile)
		if err != nil {
			return err
		}
		proc, err = c.launch(ctx, bins, u, dataDir, baseDir, socketDir, port, password)
		if err == nil {
			break
		}
		var exited *ExitedError
		if cfg.Port == 0 && attempt < portAttempts && errors.As(err, &exited) && bindFailed(exited.Log) {
			c.log.Warn("port taken before postgres could bind it; trying another", "port", port)
			_ = os.Remove(portFile) // do not offer it again
			continue
		}
		return err
	}
	if err := writeFileAtomic(portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		c.log.Warn("recording the port for the next start", "error", err)
	}

	pool, err := newHealthPool(ctx, socketConnString(socketDir, port, password, "postgres"))
	if err != nil {
		c.abort(proc)
		return err
	}

	c.mu.Lock()
	c.bins, c.dataDir, c.socketDir, c.tmpSocket = bins, dataDir, socketDir, tmpSocket
	c.port, c.password, c.lock, c.proc, c.pool = port, password, lock, proc, pool
	c.mu.Unlock()
	c.log.Info("postgres started", "version", bins.version, "pid", proc.pid, "port", port,
		"socket_dir", socketDir, "data_dir", dataDir, "duration", time.Since(began).Round(time.Millisecond))
	return nil
}

// newHealthPool returns the small pool Health queries with. It connects
// lazily.
func newHealthPool(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("creating the health check pool: %w", err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the health check pool: %w", err)
	}
	return pool, nil
}

// launch starts the server and waits until it accepts connections. On
// failure the server is stopped again.
func (c *Cluster) launch(ctx context.Context, b *binaries, u *osUser, dataDir, baseDir, socketDir string, port int, password string) (*process, error) {
	args := []string{
		"-D", dataDir,
		"-p", strconv.Itoa(port),
		"-k", listQuote(socketDir),
		"-c", "listen_addresses=127.0.0.1",
	}
	proc, err := startProcess(b.postgres, args, childEnv(), baseDir, u, newServerOutput(c.log, c.reinitialized))
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", b.postgres, err)
	}
	if err := waitReady(ctx, proc, dataDir, socketConnString(socketDir, port, password, "postgres")); err != nil {
		c.abort(proc)
		return nil, err
	}
	return proc, nil
}

// waitReady polls until the server accepts a connection, the server exits,
// or ctx is done. It tries to connect only once postmaster.pid says the
// server is ready, so that the log is not strewn with "the database system
// is starting up".
func waitReady(ctx context.Context, proc *process, dataDir, connString string) error {
	cc, err := pgconn.ParseConfig(connString)
	if err != nil {
		return fmt.Errorf("parsing connection string: %w", err)
	}
	cc.ConnectTimeout = 5 * time.Second
	var last error
	ready := poll(ctx, func() bool {
		if proc.exited() {
			return true
		}
		if !pidFileReady(dataDir, proc.pid) {
			return false
		}
		conn, err := pgconn.ConnectConfig(ctx, cc)
		if err != nil {
			last = err
			var pgErr *pgconn.PgError
			// A wrong password does not get better by waiting.
			return errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000")
		}
		last = nil
		_ = conn.Close(ctx)
		return true
	})
	if proc.exited() {
		proc.waitDrained(time.Second)
		return &ExitedError{Err: proc.err, Log: proc.out.lines()}
	}
	if ready && last == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(last, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000") {
		return fmt.Errorf("connecting as %s: %w (the saved superuser password does not match the cluster)", Superuser, last)
	}
	return fmt.Errorf("waiting for postgres to accept connections: %w (last attempt: %w); last log lines:\n\t%s",
		ctx.Err(), last, strings.Join(proc.out.lines(), "\n\t"))
}

// pidFileReady reports whether dataDir/postmaster.pid, as written by the
// postmaster pid, has the status "ready" (PostgreSQL 10 and newer).
func pidFileReady(dataDir string, pid int) bool {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	return len(lines) >= 8 && strings.TrimSpace(lines[0]) == strconv.Itoa(pid) && strings.TrimSpace(lines[7]) == "ready"
}

// bindFailed reports whether the server's output says it could not bind
// its port.
func bindFailed(lines []string) bool {
	for _, l := range lines {
		if strings.Contains(l, "could not bind") || strings.Contains(l, "Address already in use") {
			return true
		}
	}
	return false
}

// Stop shuts the server down (fast shutdown: sessions are ended, a
// checkpoint is written) and waits for it to exit. If ctx is done first it
// escalates to an immediate shutdown, then kills the server's process group
// (taking at most 10 seconds more), and returns ctx's error; either way no
// server process is left. Stop is idempotent.
func (c *Cluster) Stop(ctx context.Context) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	return c.stop(ctx)
}

func (c *Cluster) stop(ctx context.Context) error {
	c.mu.Lock()
	proc, pool, lock := c.proc, c.pool, c.lock
	tmpSocket, socketDir := c.tmpSocket, c.socketDir
	c.proc, c.pool, c.lock, c.tmpSocket = nil, nil, nil, false
	c.mu.Unlock()

	if pool != nil {
		pool.Close()
	}
	var err error
	if proc != nil {
		began := time.Now()
		err = c.terminate(ctx, proc)
		c.log.Info("postgres stopped", "pid", proc.pid, "duration", time.Since(began).Round(time.Millisecond))
	}
	if tmpSocket {
		_ = os.RemoveAll(socketDir)
	}
	if lock != nil {
		_ = lock.Close()
	}
	return err
}

// abort stops a server that failed to start properly, giving it a little
// time for a clean shutdown.
func (c *Cluster) abort(proc *process) {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	_ = c.terminate(ctx, proc)
}

// terminate stops proc as described at Stop.
func (c *Cluster) terminate(ctx context.Context, proc *process) error {
	defer proc.waitDrained(time.Second)
	proc.signal(syscall.SIGINT)
	select {
	case <-proc.done:
		return nil
	case <-ctx.Done():
	}
	c.log.Warn("postgres fast shutdown did not finish in time; shutting down immediately", "pid", proc.pid)
	proc.signal(syscall.SIGQUIT)
	if proc.waitExit(stopQuitTimeout) {
		return fmt.Errorf("stopping postgres: immediate shutdown after %w", ctx.Err())
	}
	c.log.Warn("postgres immediate shutdown did not finish; killing it", "pid", proc.pid)
	proc.killGroup()
	if proc.waitExit(stopKillTimeout) {
		return fmt.Errorf("stopping postgres: killed after %w", ctx.Err())
	}
	return fmt.Errorf("stopping postgres: pid %d does not exit after SIGKILL: %w", proc.pid, ctx.Err())
}

// Faulted implements [kernel.FaultReporter]: it is closed when the
// postmaster this cluster started exits, so that the kernel restarts the
// server at once instead of at its third failed health check.
func (c *Cluster) Faulted() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	return c.proc.done
}

// Resets implements [kernel.ResetReporter]: it receives a value when the
// server ended every session to recover from a backend's crash, so that
// the pools of the components above drop their dead connections at once.
func (c *Cluster) Resets() <-chan struct{} { return c.resets }

func (c *Cluster) reinitialized() {
	select {
	case c.resets <- struct{}{}:
	default: // one is pending
	}
}

// Health runs SELECT 1 on the server.
func (c *Cluster) Health(ctx context.Context) error {
	c.mu.Lock()
	proc, pool := c.proc, c.pool
	c.mu.Unlock()
	if proc == nil || pool == nil {
		return ErrNotRunning
	}
	if proc.exited() {
		return fmt.Errorf("%w: server exited: %w", ErrNotRunning, proc.err)
	}
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres health check: %w", err)
	}
	return nil
}

// ConnString returns a superuser connection URL for database over the unix
// socket, e.g. postgres://postgres:…@/db?host=/path/run&port=5432. It is
// valid after Start.
func (c *Cluster) ConnString(database string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return socketConnString(c.socketDir, c.port, c.password, database)
}

// TCPConnString returns a superuser connection URL for database over TCP on
// 127.0.0.1, for clients that cannot use a unix socket. It is valid after
// Start.
func (c *Cluster) TCPConnString(database string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func socketConnString(socketDir string, port int, password, database string) string {
	q := url.Values{}
	q.Set("host", socketDir)
	q.Set("port", strconv.Itoa(port))
	q.Set("sslmode", "disable")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, password),
		Path:     "/" + database,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// BinDir returns the directory of the server binaries in use (pg_dump and
// psql of the same version usually sit beside them). It is valid after Start.
func (c *Cluster) BinDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bins == nil {
		return ""
	}
	return c.bins.dir
}

// Port returns the server's TCP port on 127.0.0.1. It is valid after Start.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// SocketDir returns the directory holding the server's unix socket. It is
// valid after Start.
func (c *Cluster) SocketDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketDir
}

// Version returns the server's major version, e.g. 16. It is valid after
// Start.
func (c *Cluster) Version() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bins == nil {
		return 0
	}
	return c.bins.major
}

// DataDir returns the absolute path of the data directory. It is valid after
// Start.
func (c *Cluster) DataDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dataDir
}

// pid returns the postmaster's pid, or 0 when not running.
func (c *Cluster) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	return c.proc.pid
}

// chooseSocketDir returns the configured socket directory, or "run" next to
// the data directory, or, when the socket path there would be too long for
// sun_path, a new temporary directory (tmp reports that one).
func chooseSocketDir(configured, baseDir string, u *osUser) (dir string, tmp bool, err error) {
	const socketName = "/.s.PGSQL.65535" // the longest socket file name
	if configured != "" {
		dir, err = filepath.Abs(configured)
		if err != nil {
			return "", false, fmt.Errorf("resolving socket directory: %w", err)
		}
		if len(dir)+len(socketName) > maxSocketPath {
			return "", false, fmt.Errorf("socket_dir %s is too long for a unix socket path (at most %d bytes with the socket name)", dir, maxSocketPath)
		}
		if err := mkdirAll(dir); err != nil {
			return "", false, fmt.Errorf("creating socket directory: %w", err)
		}
		return dir, false, u.checkReachable(dir)
	}
	dir = filepath.Join(baseDir, socketDirName)
	if len(dir)+len(socketName) <= maxSocketPath {
		return dir, false, ensurePrivateDir(dir, u)
	}
	parent := os.TempDir()
	if len(parent)+len("/mobo-pg-0123456789")+len(socketName) > maxSocketPath {
		parent = "/tmp"
	}
	dir, err = os.MkdirTemp(parent, "mobo-pg-")
	if err != nil {
		return "", false, fmt.Errorf("creating socket directory: %w", err)
	}
	if err := u.chown(dir); err != nil {
		_ = os.RemoveAll(dir)
		return "", false, err
	}
	return dir, true, nil
}

// listQuote quotes one entry of a comma-separated setting such as
// unix_socket_directories.
func listQuote(s string) string {
	if !strings.ContainsAny(s, ` ,"`) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// lockDataDir takes an exclusive lock that the kernel releases when mobo
// exits, however it exits. While it is held no other mobo runs a server on
// the data directory, so a live postgres found there is an orphan.
//
// A lock just released may still be held for a moment: a process forked
// concurrently (by any goroutine) shares the lock's open file until it
// execs. So a busy lock is retried for lockWait before giving up. initdb
// and its children inherit the lock on purpose (see initialize): a start
// that finds them still running after a crash fails rather than racing them.
func lockDataDir(ctx context.Context, baseDir, dataDir string) (*os.File, error) {
	path := filepath.Join(baseDir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	poll(ctx, func() bool {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		return !errors.Is(err, syscall.EWOULDBLOCK)
	})
	if err != nil {
		_ = f.Close()
		return nil, &DataDirInUseError{DataDir: dataDir, Err: err}
	}
	return f, nil
}
