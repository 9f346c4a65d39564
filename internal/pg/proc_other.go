//go:build unix && !linux

package pg

import (
	"context"
	"fmt"
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

// initdbProcAttr puts initdb in its own process group; see serverProcAttr.
func initdbProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

// pidAlive reports whether pid is a live process.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// identifyPID decides whether the live process pf.pid is a postmaster of
// dataDir, whose files belong to uid owner (-1 if unknown). Without /proc
// only its uid and program are checked: the pid comes from dataDir's own
// postmaster.pid and mobo holds the data directory's lock, so a live
// postgres of the data directory's owner under that pid is taken to be an
// orphan of this data directory.
func identifyPID(_ procReader, pf pidFileInfo, _ string, owner int) (pidVerdict, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ps", "-o", "uid=,comm=", "-p", strconv.Itoa(pf.pid)).Output()
	if err != nil {
		if !pidAlive(pf.pid) {
			return pidGone, "no such process"
		}
		return pidUnsure, fmt.Sprintf("running ps: %v", err)
	}
	uidField, comm, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	comm = strings.TrimSpace(comm)
	if uid, err := strconv.Atoi(uidField); err == nil && owner >= 0 && uid != owner {
		return pidOther, fmt.Sprintf("it runs as uid %d, the data directory belongs to uid %d", uid, owner)
	}
	if !strings.HasSuffix(comm, "postgres") && !strings.HasSuffix(comm, "postmaster") {
		return pidOther, fmt.Sprintf("it is %q, not postgres", comm)
	}
	return pidOrphan, "a postgres of the data directory's owner"
}
