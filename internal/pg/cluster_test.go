package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// Every cluster a test starts is stopped, and Stop ends the goroutines of
// the cluster and of its health check pool.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLogger logs to t until the test ends, then discards: the server's
// output goroutine may outlive a failed test briefly.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// testBase returns a fresh directory for a cluster's files. Under root,
// PostgreSQL runs as the postgres user, which must traverse the test's
// temporary directories; t.TempDir makes them 0700, so they are opened up
// here (they are the test's own).
func testBase(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func requireBinaries(t testing.TB) *binaries {
	t.Helper()
	b, err := findBinaries(context.Background(), "", 0)
	if err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	return b
}

// startCluster starts a cluster with cfg and stops it at the end of the test.
func startCluster(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	return startClusterWith(t, NewCluster(cfg, testLogger(t)))
}

// startClusterWith starts c and stops it at the end of the test.
func startClusterWith(t testing.TB, c *Cluster) *Cluster {
	t.Helper()
	requireBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stopCluster(t, c) })
	return c
}

func stopCluster(t testing.TB, c *Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func connect(t testing.TB, connString string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func queryString(t testing.TB, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// requireGone fails unless pid and its process group are gone (they should
// be already; the deadline only covers a slow kernel).
func requireGone(t testing.TB, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gone := poll(ctx, func() bool {
		return !pidAlive(pid) && errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH)
	})
	if !gone {
		t.Fatalf("postgres pid %d (or its process group) is still alive", pid)
	}
}

func TestClusterStartStop(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	c := startCluster(t, Config{DataDir: filepath.Join(base, "pg")})
	ctx := context.Background()

	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if got, want := c.Version(), requireBinaries(t).major; got != want {
		t.Errorf("Version() = %d, want %d", got, want)
	}
	if got, want := c.DataDir(), filepath.Join(base, "pg"); got != want {
		t.Errorf("DataDir() = %q, want %q", got, want)
	}
	if got, want := c.SocketDir(), filepath.Join(base, "run"); got != want {
		t.Errorf("SocketDir() = %q, want %q", got, want)
	}

	conn := connect(t, c.ConnString("postgres"))
	for setting, want := range map[string]string{
		"wal_level":              "logical",
		"archive_mode":           "on",
		"archive_command":        archiveCommand,
		"listen_addresses":       "127.0.0.1",
		"port":                   strconv.Itoa(c.Port()),
		"server_encoding":        "UTF8",
		"lc_collate":             "C",
		"fsync":                  "on",
		"max_connections":        strconv.Itoa(DefaultMaxConnections),
		"data_checksums":         "on",
		"password_encryption":    "scram-sha-256",
		"max_slot_wal_keep_size": "2GB",
	} {
		if got := queryString(t, conn, "SHOW "+setting); got != want {
			t.Errorf("SHOW %s = %q, want %q", setting, got, want)
		}
	}
	// A finished WAL segment is archived, that is dropped, at once: none
	// waits in pg_wal for an archive nobody prunes.
	if _, err := conn.Exec(ctx, "CREATE TABLE wal_maker (v int); SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	var archived, failed int64
	pollCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	poll(pollCtx, func() bool {
		err := conn.QueryRow(ctx, "SELECT archived_count, failed_count FROM pg_stat_archiver").Scan(&archived, &failed)
		return err != nil || archived > 0 || failed > 0
	})
	if archived == 0 || failed != 0 {
		t.Errorf("pg_stat_archiver: archived_count = %d, failed_count = %d; want some archived, none failed", archived, failed)
	}
	if entries, _ := os.ReadDir(filepath.Join(base, "wal_archive")); len(entries) > 0 {
		t.Errorf("%d files in wal_archive, want none", len(entries))
	}

	if got := queryString(t, conn, "SELECT current_user"); got != Superuser {
		t.Errorf("current_user = %q, want %q", got, Superuser)
	}
	tcp := connect(t, c.TCPConnString("template1"))
	if got := queryString(t, tcp, "SELECT current_database()"); got != "template1" {
		t.Errorf("TCP connection to database %q, want template1", got)
	}
	// No password, no entry: scram-sha-256 on the socket too.
	noPW := strings.Replace(c.ConnString("postgres"), ":"+c.password+"@", "@", 1)
	if conn, err := pgx.Connect(ctx, noPW); err == nil {
		_ = conn.Close(ctx)
		t.Error("connected over the socket without a password")
	}

	fi, err := os.Stat(filepath.Join(base, passwordFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("password file mode = %#o, want 0600", perm)
	}

	pid := c.pid()
	stopCluster(t, c)
	requireGone(t, pid)
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.Health(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Health after Stop = %v, want ErrNotRunning", err)
	}
	if _, err := os.Stat(filepath.Join(c.DataDir(), "postmaster.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v", err)
	}
}

func TestClusterRestartKeepsData(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	cfg := Config{DataDir: filepath.Join(base, "pg")}
	ctx := context.Background()

	began := time.Now()
	c := startCluster(t, cfg)
	t.Logf("cold start (initdb + start): %v", time.Since(began))
	firstPort := c.Port()
	conn := connect(t, c.ConnString("postgres"))
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	stopCluster(t, c)

	// The same Cluster starts again, then a new one on the same directory.
	began = time.Now()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("warm start (existing data directory): %v", time.Since(began))
	stopCluster(t, c)

	c2 := startCluster(t, cfg)
	if got := c2.Port(); got != firstPort {
		t.Errorf("port after restart = %d, want the recorded %d", got, firstPort)
	}
	conn = connect(t, c2.ConnString("postgres"))
	if got := queryString(t, conn, "SELECT v FROM kept"); got != "still here" {
		t.Errorf("kept row = %q", got)
	}
}

// forget drops the cluster's hold on its server without stopping it, as if
// mobo had died and the server had survived it: the data directory lock is
// released (the kernel does that for a dead process), the server runs on.
func (c *Cluster) forget() *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.proc
	c.pool.Close()
	_ = c.lock.Close()
	c.proc, c.pool, c.lock = nil, nil, nil
	return p
}

// deniedProc is the real /proc, except that the files named in it cannot
// be read, as for root without CAP_SYS_PTRACE (exe, cwd, environ, …) or
// with /proc mounted hidepid.
type deniedProc []string

func (d deniedProc) check(op, name string) error {
	if slices.Contains(d, filepath.Base(name)) {
		return &fs.PathError{Op: op, Path: name, Err: syscall.EACCES}
	}
	return nil
}

func (d deniedProc) ReadFile(name string) ([]byte, error) {
	if err := d.check("open", name); err != nil {
		return nil, err
	}
	return osProc{}.ReadFile(name)
}

func (d deniedProc) Readlink(name string) (string, error) {
	if err := d.check("readlink", name); err != nil {
		return "", err
	}
	return osProc{}.Readlink(name)
}

func TestClusterOrphan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		procs procReader
	}{
		{"full /proc", nil},
		// Root in a container: the postgres user's exe and cwd links are
		// unreadable. Stopping the orphan must not turn into removing its
		// postmaster.pid, after which the new server finds the orphan's
		// shared memory in use and exits.
		{"exe and cwd unreadable", deniedProc{"exe", "cwd"}},
		{"only status comm and stat readable", deniedProc{"exe", "cwd", "cmdline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testClusterOrphan(t, tt.procs)
		})
	}
}

func testClusterOrphan(t *testing.T, procs procReader) {
	base := testBase(t)
	cfg := Config{DataDir: filepath.Join(base, "pg")}
	ctx := context.Background()

	old := startCluster(t, cfg)
	conn := connect(t, old.ConnString("postgres"))
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v int)"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	// While the first mobo holds the lock, a second one refuses.
	err := NewCluster(cfg, testLogger(t)).Start(ctx)
	var inUse *DataDirInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second Start while the first runs: %v, want DataDirInUseError", err)
	}

	orphan := old.forget()
	t.Cleanup(func() { orphan.killGroup(); orphan.waitExit(10 * time.Second) })
	c := NewCluster(cfg, testLogger(t))
	c.procs = procs
	startClusterWith(t, c)
	if !orphan.waitExit(10 * time.Second) {
		t.Fatalf("orphaned postgres pid %d still running", orphan.pid)
	}
	requireGone(t, orphan.pid)
	if c.pid() == orphan.pid {
		t.Fatal("new cluster reports the orphan's pid")
	}
	conn = connect(t, c.ConnString("postgres"))
	if got := queryString(t, conn, "SELECT count(*)::text FROM t"); got != "0" {
		t.Errorf("count = %s", got)
	}
}

func TestClusterStalePostmasterPID(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	cfg := Config{DataDir: filepath.Join(base, "pg")}
	ctx := context.Background()
	c := startCluster(t, cfg)
	pidFile := filepath.Join(c.DataDir(), "postmaster.pid")

	restart := func(t *testing.T) {
		t.Helper()
		c = startCluster(t, cfg)
		if err := c.Health(ctx); err != nil {
			t.Fatalf("Health: %v", err)
		}
		stopCluster(t, c)
	}

	t.Run("dead pid", func(t *testing.T) {
		stopCluster(t, c)
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		writeServerFile(t, pidFile, fmt.Sprintf("%d\n%s\n", dead.Process.Pid, c.DataDir()))
		restart(t)
	})

	t.Run("pid of another program", func(t *testing.T) {
		other := exec.Command("sleep", "300")
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
		writeServerFile(t, pidFile, fmt.Sprintf("%d\n%s\n", other.Process.Pid, c.DataDir()))
		restart(t)
		if !pidAlive(other.Process.Pid) {
			t.Error("the unrelated process was killed")
		}
	})

	t.Run("server killed with mobo", func(t *testing.T) {
		// Everything died at once (SIGKILL to the whole group, a power cut
		// of sorts): a real postmaster.pid and shared memory are left.
		c = startCluster(t, cfg)
		p := c.forget()
		p.killGroup()
		if !p.waitExit(10 * time.Second) {
			t.Fatal("postgres survived SIGKILL")
		}
		if _, err := os.Stat(pidFile); err != nil {
			t.Fatalf("postmaster.pid after SIGKILL: %v", err)
		}
		requireGone(t, p.pid)
		restart(t)
	})
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeServerFile writes a file into the data directory as its owner would.
func writeServerFile(t testing.TB, path, content string) {
	t.Helper()
	writeFile(t, path, content)
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
		t.Fatal(err)
	}
}

func TestClusterVersionMismatch(t *testing.T) {
	t.Parallel()
	b := requireBinaries(t)
	base := testBase(t)
	dataDir := filepath.Join(base, "pg")
	other := strconv.Itoa(b.major - 1)
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dataDir, "PG_VERSION"), other+"\n")

	err := NewCluster(Config{DataDir: dataDir}, testLogger(t)).Start(context.Background())
	var mismatch *VersionMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("Start = %v, want VersionMismatchError", err)
	}
	msg := err.Error()
	for _, want := range []string{"PostgreSQL " + other, "PostgreSQL " + strconv.Itoa(b.major), dataDir} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestClusterExplicitPortTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	err = NewCluster(Config{DataDir: filepath.Join(testBase(t), "pg"), Port: port}, testLogger(t)).Start(context.Background())
	var taken *PortInUseError
	if !errors.As(err, &taken) || taken.Port != port {
		t.Fatalf("Start = %v, want PortInUseError for port %d", err, port)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("error %q does not name port %d", err, port)
	}
}

func TestClusterAutoPortTaken(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	cfg := Config{DataDir: filepath.Join(base, "pg")}
	c := startCluster(t, cfg)
	first := c.Port()
	stopCluster(t, c)

	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(first)))
	if err != nil {
		t.Fatalf("taking the recorded port: %v", err)
	}
	defer l.Close()

	c = startCluster(t, cfg)
	if c.Port() == first {
		t.Fatalf("started on the taken port %d", first)
	}
	connect(t, c.TCPConnString("postgres"))
	recorded, err := os.ReadFile(filepath.Join(base, portFileName))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(recorded)); got != strconv.Itoa(c.Port()) {
		t.Errorf("recorded port = %s, want %d", got, c.Port())
	}
}

func TestClusterNoBinaries(t *testing.T) {
	t.Parallel()
	err := NewCluster(Config{DataDir: filepath.Join(testBase(t), "pg"), BinDir: t.TempDir()}, nil).Start(context.Background())
	var notFound *BinariesNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("Start = %v, want BinariesNotFoundError", err)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql@16", "--database-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestClusterUnreachableDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root switches to another OS user")
	}
	requireBinaries(t)
	private := t.TempDir() // 0700, owned by root
	err := NewCluster(Config{DataDir: filepath.Join(private, "mobo", "pg")}, nil).Start(context.Background())
	var access *DataDirAccessError
	if !errors.As(err, &access) {
		t.Fatalf("Start = %v, want DataDirAccessError", err)
	}
	if !strings.HasPrefix(private, access.Dir) || !strings.Contains(err.Error(), access.Dir) {
		t.Errorf("error names %q, want an ancestor of %q: %v", access.Dir, private, err)
	}
	fi, err := os.Stat(access.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode of %s changed to %#o", access.Dir, fi.Mode().Perm())
	}
}

func TestClusterLongSocketPath(t *testing.T) {
	t.Parallel()
	base := filepath.Join(testBase(t), strings.Repeat("d", 60), strings.Repeat("e", 40))
	c := startCluster(t, Config{DataDir: filepath.Join(base, "pg")})
	dir := c.SocketDir()
	if strings.HasPrefix(dir, base) || len(dir)+len("/.s.PGSQL.65535") > maxSocketPath {
		t.Fatalf("socket directory %q: want a short one outside %q", dir, base)
	}
	connect(t, c.ConnString("postgres"))
	stopCluster(t, c)
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary socket directory after Stop: %v", err)
	}
}

// helperDirEnv tells the test binary, run again by TestClusterParentDeath,
// to act as a mobo that starts a cluster in that directory.
const helperDirEnv = "MOBO_PG_TEST_HELPER_DIR"

func TestClusterParentDeath(t *testing.T) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		runHelperMobo(t, dir)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux only")
	}
	t.Parallel()
	requireBinaries(t)
	base := testBase(t)

	helper := exec.Command(os.Args[0], "-test.run=^TestClusterParentDeath$", "-test.count=1")
	helper.Env = append(os.Environ(), helperDirEnv+"="+base)
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })

	pidFile := filepath.Join(base, "helper_postmaster_pid")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var pid int
	if !poll(ctx, func() bool {
		b, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	}) {
		t.Fatal("helper did not start postgres")
	}

	if err := helper.Process.Kill(); err != nil { // kill -9 mobo
		t.Fatal(err)
	}
	_ = helper.Wait()
	requireGone(t, pid)

	// It shut down cleanly: the next start needs no recovery.
	c := startCluster(t, Config{DataDir: filepath.Join(base, "pg")})
	connect(t, c.ConnString("postgres"))
}

// helperBinDirEnv gives the helper mobo a bin_dir.
const helperBinDirEnv = "MOBO_PG_TEST_HELPER_BIN_DIR"

// A mobo killed during its first start takes initdb with it, so the next
// start does not run initdb again while the old one still writes.
func TestClusterInitdbParentDeath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux only")
	}
	t.Parallel()
	base := testBase(t)
	// An initdb that records its pid in the new data directory and hangs.
	binDir := filepath.Join(base, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"postgres": "#!/bin/sh\necho 'postgres (PostgreSQL) 16.4'\n",
		"initdb": "#!/bin/sh\nfor a; do case $a in --pgdata=*) d=${a#--pgdata=};; esac; done\n" +
			"echo $$ > \"$d/initdb.pid\"\nexec sleep 300\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(binDir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	helper := exec.Command(os.Args[0], "-test.run=^TestClusterParentDeath$", "-test.count=1")
	helper.Env = append(os.Environ(), helperDirEnv+"="+base, helperBinDirEnv+"="+binDir)
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })

	pidFile := filepath.Join(base, "pg.initdb", "initdb.pid")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var pid int
	if !poll(ctx, func() bool {
		b, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	}) {
		t.Fatal("helper did not start initdb")
	}
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })

	if err := helper.Process.Kill(); err != nil { // kill -9 mobo
		t.Fatal(err)
	}
	_ = helper.Wait()
	requireGone(t, pid)
}

func runHelperMobo(t *testing.T, base string) {
	c := NewCluster(Config{DataDir: filepath.Join(base, "pg"), BinDir: os.Getenv(helperBinDirEnv)}, nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(base, "helper_postmaster_pid"), strconv.Itoa(c.pid()))
	select {} // until killed
}
