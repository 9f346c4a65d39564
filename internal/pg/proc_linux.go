package pg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSocketPath is the longest unix socket path: sun_path holds 108 bytes
// with the terminating NUL.
const maxSocketPath = 107

// serverProcAttr puts the server in its own process group and asks the
// kernel to send it SIGINT (fast shutdown) when the forking thread dies. Go
// sets the parent-death signal after switching credentials, which would
// otherwise clear it.
func serverProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT, Credential: cred}
}

// pidAlive reports whether pid is a live process; zombies count as dead.
func pidAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name, which may contain
	// spaces and parentheses itself.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// isPostmasterOf reports whether pid is a postgres process whose working
// directory is dataDir; a postmaster changes into its data directory.
func isPostmasterOf(pid int, dataDir string) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)") // binary replaced by an upgrade
	if base := filepath.Base(exe); base != "postgres" && base != "postmaster" {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return false
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	return cwd == want
}
