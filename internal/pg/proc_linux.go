package pg

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
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

// initdbProcAttr is serverProcAttr for initdb, which has no shutdown to
// ask for: it is killed when the forking thread dies, so that it does not
// go on writing while the next start prepares a new one.
func initdbProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
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

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ), 100 on
// every architecture Go supports.
const userHZ = 100

// Bounds on the postmaster's start time in postmaster.pid (whole seconds,
// taken right after exec) minus the process's start time in /proc (fork
// time, from the whole-second boot time).
const (
	startSkewBefore = 2  // seconds: rounding of both
	startSkewAfter  = 10 // seconds: rounding and a slow exec on a loaded machine
)

// identifyPID decides whether the live process pf.pid is the postmaster of
// dataDir, whose files belong to uid owner (-1 if unknown).
//
// The links /proc/<pid>/exe and cwd would say it directly, but reading them
// for another user's process needs CAP_SYS_PTRACE, which root lacks in a
// container by default. So the verdict rests on what anyone may read:
// status (its uid), comm (its program), cmdline (mobo starts the server
// with -D and the data directory; a server's children rewrite theirs to
// "postgres: …") and stat (its start time, against the one postmaster.pid
// records). cwd is used when it can be read.
func identifyPID(r procReader, pf pidFileInfo, dataDir string, owner int) (pidVerdict, string) {
	proc := "/proc/" + strconv.Itoa(pf.pid) + "/"

	status, err := r.ReadFile(proc + "status")
	if errors.Is(err, fs.ErrNotExist) {
		return pidGone, "no such process"
	}
	if err != nil {
		return pidUnsure, fmt.Sprintf("reading %sstatus: %v", proc, err)
	}
	uid, ok := statusUID(status)
	if !ok {
		return pidUnsure, "no Uid line in " + proc + "status"
	}
	// PostgreSQL runs only as the owner of its data directory.
	if owner >= 0 && uid != owner {
		return pidOther, fmt.Sprintf("it runs as uid %d, the data directory belongs to uid %d", uid, owner)
	}
	comm, err := r.ReadFile(proc + "comm")
	if err != nil {
		return pidUnsure, fmt.Sprintf("reading %scomm: %v", proc, err)
	}
	if name := strings.TrimSpace(string(comm)); name != "postgres" && name != "postmaster" {
		return pidOther, fmt.Sprintf("it is %q, not postgres", name)
	}

	// A postgres of the data directory's owner: this cluster's server, or
	// another cluster's process under a reused pid.
	if cwd, err := r.Readlink(proc + "cwd"); err == nil {
		// A postmaster changes into its data directory.
		if sameDir(cwd, dataDir) {
			return pidOrphan, "its working directory is the data directory"
		}
		return pidOther, fmt.Sprintf("its working directory is %s, not the data directory", cwd)
	}
	if cmdline, err := r.ReadFile(proc + "cmdline"); err == nil && len(cmdline) > 0 {
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if strings.HasPrefix(args[0], "postgres: ") {
			// A backend or auxiliary process: the postmaster that wrote the
			// file had this pid, so it is gone.
			return pidOther, fmt.Sprintf("it is a postgres child process (%s), not a postmaster", strings.TrimSpace(args[0]))
		}
		if dir, ok := dataDirArg(args); ok && filepath.IsAbs(dir) {
			if sameDir(dir, dataDir) {
				return pidOrphan, "its command line names the data directory"
			}
			return pidOther, fmt.Sprintf("its command line names data directory %s", dir)
		}
	}
	started, err := procStartTime(r, pf.pid)
	if err != nil {
		return pidUnsure, fmt.Sprintf("reading its start time: %v", err)
	}
	if pf.start == 0 {
		return pidUnsure, "postmaster.pid records no start time"
	}
	if d := pf.start - started; d >= -startSkewBefore && d <= startSkewAfter {
		return pidOrphan, "it started when postmaster.pid was written"
	}
	// Most likely a reused pid, but a clock step since the start looks
	// the same.
	return pidUnsure, fmt.Sprintf("it started at %d, postmaster.pid records %d", started, pf.start)
}

// statusUID returns the effective uid from /proc/<pid>/status.
func statusUID(status []byte) (int, bool) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "Uid:")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // real, effective, saved, filesystem
		if len(f) < 2 {
			return 0, false
		}
		uid, err := strconv.Atoi(f[1])
		return uid, err == nil
	}
	return 0, false
}

// dataDirArg returns the argument of postgres' -D option.
func dataDirArg(args []string) (string, bool) {
	for i, a := range args {
		if a == "-D" && i+1 < len(args) {
			return args[i+1], true
		}
		if dir, ok := strings.CutPrefix(a, "-D"); ok && dir != "" {
			return dir, true
		}
	}
	return "", false
}

// procStartTime returns when pid started, in Unix seconds.
func procStartTime(r procReader, pid int) (int64, error) {
	stat, err := r.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name, from field 3 (state);
	// field 22 is the start time in USER_HZ ticks since boot.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return 0, errors.New("malformed stat")
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed stat: %w", err)
	}
	sys, err := r.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(sys), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("malformed btime in /proc/stat: %w", err)
			}
			return boot + ticks/userHZ, nil
		}
	}
	return 0, errors.New("no btime in /proc/stat")
}

// sameDir reports whether a and b are the same directory, however reached.
func sameDir(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(fa, fb)
}
