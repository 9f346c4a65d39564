//go:build unix && !linux

package pg

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxSocketPath is the longest unix socket path: sun_path holds 104 bytes
// with the terminating NUL on the BSDs and macOS.
const maxSocketPath = 103

// serverProcAttr puts the server in its own process group. There is no
// parent-death signal outside Linux: if mobo is killed with SIGKILL the
// postmaster keeps running, and the next start stops it as an orphan.
func serverProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

// pidAlive reports whether pid is a live process.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// isPostmasterOf reports whether pid is a postgres process. Without /proc
// its working directory is not checked; the pid comes from dataDir's own
// postmaster.pid and mobo holds the data directory's lock, so a live
// postgres under that pid is taken to be an orphan of this data directory.
func isPostmasterOf(pid int, _ string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ps", "-o", "comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return false
	}
	comm := strings.TrimSpace(string(out))
	return strings.HasSuffix(comm, "postgres") || strings.HasSuffix(comm, "postmaster")
}
