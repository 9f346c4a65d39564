package pg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Names of the files mobo keeps next to the data directory.
const (
	passwordFileName = "pg_superuser_password" //nolint:gosec // a file name, not a credential
	portFileName     = "pg_port"
	lockFileName     = "pg.lock"
	socketDirName    = "run"
	// confFileName is written into the data directory at every start and
	// included from postgresql.conf, so ALTER SYSTEM (postgresql.auto.conf)
	// still overrides it.
	confFileName = "mobo.conf"
)

// Superuser is the name of the cluster's superuser role.
const Superuser = "postgres"

// initialize runs initdb unless dataDir already holds a cluster, and returns
// the superuser password. lock is the data directory lock.
//
// initdb writes into a sibling directory that is renamed into place once
// complete, so a run interrupted halfway (mobo killed during initdb) leaves
// no half-made cluster behind; the next start simply does it again. That
// start must not find the old initdb still writing there: initdb dies with
// mobo (the parent-death signal, Linux), and it and its own postgres
// children hold the data directory lock until they are gone.
func (c *Cluster) initialize(ctx context.Context, cfg Config, b *binaries, u *osUser, dataDir, baseDir string, lock *os.File) (string, error) {
	pwFile := filepath.Join(baseDir, passwordFileName)
	if dataVersion, err := readPGVersion(dataDir); err != nil {
		return "", err
	} else if dataVersion != "" {
		if dataVersion != strconv.Itoa(b.major) {
			return "", &VersionMismatchError{DataDir: dataDir, DataVersion: dataVersion, BinaryVersion: b.major, BinaryLocation: b.dir}
		}
		pw, err := os.ReadFile(pwFile)
		if err != nil {
			return "", fmt.Errorf("reading the superuser password of the cluster in %s: %w", dataDir, err)
		}
		return strings.TrimSpace(string(pw)), nil
	}

	// No cluster yet. An existing, empty data directory (a mount point, say)
	// is initialised in place; anything else in the way is an error.
	target := dataDir + ".initdb"
	inPlace := false
	switch entries, err := os.ReadDir(dataDir); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("reading data directory: %w", err)
	case len(entries) > 0:
		return "", fmt.Errorf("data directory %s is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or choose another data_dir", dataDir)
	default:
		target, inPlace = dataDir, true
	}
	if !inPlace {
		if err := os.RemoveAll(target); err != nil {
			return "", fmt.Errorf("removing an interrupted initdb: %w", err)
		}
		if err := os.Mkdir(target, 0o700); err != nil {
			return "", fmt.Errorf("creating data directory: %w", err)
		}
	}
	if err := u.chown(target); err != nil {
		return "", err
	}

	pw, err := newPassword()
	if err != nil {
		return "", err
	}
	// initdb reads the password from a file, which must be readable by the
	// PostgreSQL user but nobody else; it is removed right after.
	pwDir, err := os.MkdirTemp(baseDir, ".initdb-pw-")
	if err != nil {
		return "", fmt.Errorf("writing the initdb password file: %w", err)
	}
	defer func() { _ = os.RemoveAll(pwDir) }()
	initPW := filepath.Join(pwDir, "pw")
	if err := os.WriteFile(initPW, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the initdb password file: %w", err)
	}
	if err := errors.Join(u.chown(pwDir), u.chown(initPW)); err != nil {
		return "", err
	}

	start := time.Now()
	c.log.Info("initialising postgres data directory", "data_dir", dataDir, "version", b.version)
	args := []string{
		"--pgdata=" + target,
		"--username=" + Superuser,
		"--pwfile=" + initPW,
		"--auth-local=scram-sha-256",
		"--auth-host=scram-sha-256",
		"--encoding=UTF8",
		"--no-locale",
		"--data-checksums",
	}
	// A server configured without fsync (a throwaway test cluster) gains
	// nothing from initdb's final sync, which is most of its time.
	if cfg.Settings["fsync"] == "off" {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, b.initdb, args...)
	cmd.Env = childEnv()
	cmd.Dir = baseDir
	cmd.SysProcAttr = initdbProcAttr(u.cred)
	// An inherited descriptor of the lock's open file keeps the lock held
	// while any of them runs (fd 3; nothing there reads it).
	cmd.ExtraFiles = []*os.File{lock}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// initdb runs postgres children of its own; cancel them all.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := runOnLockedThread(cmd); err != nil {
		if !inPlace {
			_ = os.RemoveAll(target)
		}
		return "", fmt.Errorf("running initdb: %w\n%s", err, lastLines(out.String(), outputTail))
	}

	conf := filepath.Join(target, "postgresql.conf")
	include := "\n# Settings managed by mobo, rewritten at every start. ALTER SYSTEM overrides them.\ninclude_if_exists = '" + confFileName + "'\n"
	if err := appendFile(conf, include); err != nil {
		return "", fmt.Errorf("including %s from postgresql.conf: %w", confFileName, err)
	}
	if err := writeFileAtomic(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving the superuser password: %w", err)
	}
	if !inPlace {
		if err := os.Remove(dataDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("replacing data directory: %w", err)
		}
		if err := os.Rename(target, dataDir); err != nil {
			return "", fmt.Errorf("moving the new cluster into place: %w", err)
		}
	}
	c.log.Info("initialised postgres data directory", "data_dir", dataDir, "duration", time.Since(start).Round(time.Millisecond))
	return pw, nil
}

// runOnLockedThread runs cmd from a goroutine locked to its OS thread, for
// the parent-death signal: it fires when the thread that forked the child
// exits, and Go threads otherwise come and go under the scheduler. The
// thread is never unlocked, so it ends with the goroutine, after the child
// has been reaped; see startProcess.
func runOnLockedThread(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		done <- cmd.Run()
	}()
	return <-done
}

// readPGVersion returns the major version recorded in dataDir/PG_VERSION,
// or "" if there is none.
func readPGVersion(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the data directory's PG_VERSION: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// newPassword returns 192 random bits, hex-encoded so that it needs no
// quoting in connection strings.
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the superuser password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// archiveCommand is the archive_command until the backup component owns
// the WAL archive: it accepts every segment and keeps none.
//
// archive_mode is on from the first start, because changing it needs a
// restart while archive_command is reloaded with the configuration. The
// command must succeed: with an empty one, or a failing one, PostgreSQL
// keeps every WAL segment in pg_wal waiting for it, and the disk fills.
// Copying them somewhere with nobody to prune the copies fills it as well.
// The backup component sets its own archive_command (ALTER SYSTEM, or
// [Config.Settings], both of which override this) and reloads.
//
// "true" is the shell builtin: archive_command runs through /bin/sh, and
// /bin/true is missing on macOS.
const archiveCommand = "true"

// writeConf writes mobo's settings into the data directory; postgresql.conf
// includes the file.
func (c *Cluster) writeConf(cfg Config, dataDir string, u *osUser) error {
	settings := [][2]string{
		{"max_connections", strconv.Itoa(cfg.MaxConnections)},
		{"shared_buffers", cfg.SharedBuffers},
		{"password_encryption", "scram-sha-256"},
		// Logical replication feeds realtime; archiving is on, so that
		// point-in-time recovery needs no restart to enable.
		{"wal_level", "logical"},
		// Realtime keeps one slot and one walsender per project it
		// captures; walsenders do not count against max_connections.
		{"max_wal_senders", "100"},
		{"max_replication_slots", "100"},
		// A slot whose consumer is gone (mobo down, a project nobody
		// subscribes to) retains WAL; past this PostgreSQL invalidates the
		// slot instead of filling the disk. Realtime drops unused slots
		// sooner itself (realtime.max_slot_wal_mb) and replaces lost ones.
		{"max_slot_wal_keep_size", "2GB"},
		{"archive_mode", "on"},
		{"archive_command", archiveCommand},
		// The output goes to mobo's log, which has its own timestamps.
		{"logging_collector", "off"},
		{"log_destination", "stderr"},
		{"log_line_prefix", "[%p] "},
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Settings)) {
		settings = append(settings, [2]string{name, cfg.Settings[name]})
	}
	var b strings.Builder
	b.WriteString("# Written by mobo at every start; change mobo's configuration instead.\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "%s = %s\n", s[0], confQuote(s[1]))
	}
	path := filepath.Join(dataDir, confFileName)
	if err := writeFileAtomic(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return u.chown(path)
}

// confQuote quotes a postgresql.conf value.
func confQuote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	return errors.Join(err, f.Close())
}

// writeFileAtomic replaces path with data, so that a reader sees the old
// content or the new, never a part.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	err = errors.Join(err, f.Chmod(perm), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// lastLines returns at most n last lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
