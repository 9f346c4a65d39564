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

// recoverOrphan deals with a postmaster.pid left in dataDir. The caller holds
// the data directory lock, so no live mobo runs a server on it.
//
//   - No live process under that pid: the file is stale (mobo and its server
//     were killed together); postgres removes it by itself.
//   - A live postgres of this data directory: an orphan, whose mobo died
//     without the parent-death signal stopping it. It is shut down, so the
//     new server starts fresh and becomes our child.
//   - A live process that is something else (the pid was reused): postgres
//     would refuse to start, so the file is removed.
func (c *Cluster) recoverOrphan(ctx context.Context, dataDir string) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if pid < 0 {
		pid = -pid // a standalone backend writes its pid negated
	}
	switch {
	case err != nil || pid <= 1:
		return nil // unreadable: let postgres judge it
	case !pidAlive(pid):
		c.log.Info("found stale postmaster.pid; postgres will remove it", "pid", pid)
		return nil
	case !isPostmasterOf(pid, dataDir):
		c.log.Warn("removing postmaster.pid naming a process that is not this cluster's postgres", "pid", pid)
		if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale postmaster.pid: %w", err)
		}
		return nil
	}

	c.log.Warn("stopping orphaned postgres of this data directory (its mobo died)", "pid", pid)
	start := time.Now()
	if err := stopPID(ctx, pid); err != nil {
		return fmt.Errorf("stopping orphaned postgres (pid %d) of %s: %w", pid, dataDir, err)
	}
	c.log.Info("stopped orphaned postgres", "pid", pid, "duration", time.Since(start).Round(time.Millisecond))
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
