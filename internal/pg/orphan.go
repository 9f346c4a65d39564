package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Shutdown timing for a postmaster that is not our child: a fast shutdown
// first, then an immediate shutdown, then SIGKILL for the process group.
const (
	orphanFastTimeout      = time.Minute
	orphanImmediateTimeout = 10 * time.Second
	orphanKillTimeout      = 5 * time.Second
)

// procReader reads the files of /proc. [Cluster] uses the real one; tests
// replace it to see /proc as a process without CAP_SYS_PTRACE does.
type procReader interface {
	ReadFile(name string) ([]byte, error)
	Readlink(name string) (string, error)
}

type osProc struct{}

func (osProc) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (osProc) Readlink(name string) (string, error) { return os.Readlink(name) }

// pidVerdict is what recoverOrphan concludes about the process that
// postmaster.pid names.
type pidVerdict int

const (
	// pidUnsure: it may or may not be this data directory's postmaster.
	// postmaster.pid is left alone; postgres refuses to start if the
	// process is alive and the file names it, which is safe.
	pidUnsure pidVerdict = iota
	// pidGone: no such process (any more).
	pidGone
	// pidOrphan: the postmaster of this data directory, left running by
	// a mobo that died.
	pidOrphan
	// pidOther: certainly something else; the pid was reused.
	pidOther
)

// pidFileInfo is what recoverOrphan reads from postmaster.pid.
type pidFileInfo struct {
	pid   int
	start int64 // the postmaster's start time (Unix seconds), 0 if unknown
}

// parsePIDFile reads postmaster.pid: line 1 is the postmaster's pid (negated
// for a standalone backend), line 3 its start time in Unix seconds.
func parsePIDFile(b []byte) (pidFileInfo, bool) {
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return pidFileInfo{}, false
	}
	if pid < 0 {
		pid = -pid
	}
	if pid <= 1 {
		return pidFileInfo{}, false
	}
	pf := pidFileInfo{pid: pid}
	if len(lines) >= 3 {
		pf.start, _ = strconv.ParseInt(strings.TrimSpace(lines[2]), 10, 64)
	}
	return pf, true
}

// recoverOrphan deals with a postmaster.pid left in dataDir. The caller holds
// the data directory lock, so no live mobo runs a server on it.
//
//   - No live process under that pid: the file is stale (mobo and its server
//     were killed together); postgres removes it by itself.
//   - A live postgres of this data directory: an orphan, whose mobo died
//     without the parent-death signal stopping it. It is shut down, so the
//     new server starts fresh and becomes our child.
//   - A live process that is certainly something else (the pid was reused):
//     postgres would refuse to start, so the file is removed.
//   - A live process that cannot be told apart: the file is left alone and
//     postgres refuses to start, naming the pid. Removing the file of a live
//     postmaster would only trade that for a shared memory error, and
//     stopping a process that may be another cluster's server is worse.
//
// Whether it is this data directory's postmaster is decided by identifyPID
// from what /proc shows to a process without CAP_SYS_PTRACE, which is how
// root runs in a container.
func (c *Cluster) recoverOrphan(ctx context.Context, dataDir string) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading postmaster.pid: %w", err)
	}
	pf, ok := parsePIDFile(b)
	if !ok {
		return nil // unreadable: let postgres judge it
	}
	verdict, why := pidGone, "no such process"
	if pidAlive(pf.pid) {
		owner := -1
		if fi, err := os.Stat(dataDir); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				owner = int(st.Uid)
			}
		}
		procs := c.procs
		if procs == nil {
			procs = osProc{}
		}
		verdict, why = identifyPID(procs, pf, dataDir, owner)
	}
	switch verdict {
	case pidGone:
		c.log.Info("found stale postmaster.pid; postgres will remove it", "pid", pf.pid)
		return nil
	case pidOther:
		c.log.Warn("removing postmaster.pid naming a process that is not this cluster's postgres", "pid", pf.pid, "reason", why)
		if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale postmaster.pid: %w", err)
		}
		return nil
	case pidUnsure:
		c.log.Warn("cannot tell whether the process named by postmaster.pid is this cluster's postgres; leaving the file to postgres",
			"pid", pf.pid, "reason", why)
		return nil
	}

	c.log.Warn("stopping orphaned postgres of this data directory (its mobo died)", "pid", pf.pid, "reason", why)
	start := time.Now()
	if err := stopPID(ctx, pf.pid); err != nil {
		return fmt.Errorf("stopping orphaned postgres (pid %d) of %s: %w", pf.pid, dataDir, err)
	}
	c.log.Info("stopped orphaned postgres", "pid", pf.pid, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// stopPID shuts down a postmaster that is not our child, escalating from
// SIGINT (fast) to SIGQUIT (immediate) to SIGKILL. The first wait ends early
// when ctx is done; the escalation then runs on its own short deadlines.
func stopPID(ctx context.Context, pid int) error {
	_ = syscall.Kill(pid, syscall.SIGINT)
	fast, cancel := context.WithTimeout(ctx, orphanFastTimeout)
	defer cancel()
	if waitGone(fast, pid) {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	if waitGone(context.Background(), pid, orphanImmediateTimeout) {
		return nil
	}
	// Its children share its process group if mobo started it; kill them
	// too, or they keep the shared memory attached and block a restart.
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	} else {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if waitGone(context.Background(), pid, orphanKillTimeout) {
		return nil
	}
	return errors.New("process does not exit")
}

// waitGone polls until pid is gone, ctx is done or the optional timeout
// passes, and reports whether pid is gone.
func waitGone(ctx context.Context, pid int, timeout ...time.Duration) bool {
	if len(timeout) > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout[0])
		defer cancel()
	}
	return poll(ctx, func() bool { return !pidAlive(pid) })
}

// poll calls cond with a growing interval (5ms to 200ms) until it returns
// true or ctx is done, and reports the last result.
func poll(ctx context.Context, cond func() bool) bool {
	interval := 5 * time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if cond() {
			return true
		}
		t.Reset(interval)
		select {
		case <-ctx.Done():
			return cond()
		case <-t.C:
		}
		interval = min(interval*2, 200*time.Millisecond)
	}
}
