package pg

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeProc is a /proc made of a map from path to content (a string) or to
// the error reading it returns; other paths do not exist.
type fakeProc map[string]any

func (p fakeProc) get(op, name string) (string, error) {
	switch v := p[name].(type) {
	case string:
		return v, nil
	case error:
		return "", &fs.PathError{Op: op, Path: name, Err: v}
	default:
		return "", &fs.PathError{Op: op, Path: name, Err: syscall.ENOENT}
	}
}

func (p fakeProc) ReadFile(name string) ([]byte, error) {
	s, err := p.get("open", name)
	return []byte(s), err
}

func (p fakeProc) Readlink(name string) (string, error) { return p.get("readlink", name) }

// fakeStat is a /proc/<pid>/stat line with the start time field 22 set.
func fakeStat(pid int, startTicks int64) string {
	return fmt.Sprintf("%d (postgres) S 1 %d %d 0 -1 4194560 %s %d 0 0 0 0 0", pid, pid, pid, strings.Repeat("0 ", 12), startTicks)
}

func TestIdentifyPID(t *testing.T) {
	t.Parallel()
	const (
		pid   = 4242
		owner = 101
		boot  = 1_700_000_000
	)
	dataDir, otherDir := t.TempDir(), t.TempDir()
	pf := pidFileInfo{pid: pid, start: boot + 500}
	proc := fmt.Sprintf("/proc/%d/", pid)

	// noPtrace is what root without CAP_SYS_PTRACE sees of a postmaster
	// started by mobo that runs as another user.
	noPtrace := func(edit func(fakeProc)) fakeProc {
		p := fakeProc{
			proc + "status":  fmt.Sprintf("Name:\tpostgres\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n", owner, owner, owner, owner, owner, owner, owner, owner),
			proc + "comm":    "postgres\n",
			proc + "cmdline": "/usr/lib/postgresql/15/bin/postgres\x00-D\x00" + dataDir + "\x00-p\x005432\x00",
			proc + "stat":    fakeStat(pid, 500*userHZ+37),
			proc + "exe":     syscall.EACCES,
			proc + "cwd":     syscall.EACCES,
			"/proc/stat":     fmt.Sprintf("cpu  1 2 3\nbtime %d\nprocesses 99\n", boot),
		}
		if edit != nil {
			edit(p)
		}
		return p
	}
	noDataDirArg := func(p fakeProc) { p[proc+"cmdline"] = "/usr/lib/postgresql/15/bin/postgres\x00" }

	tests := []struct {
		name  string
		proc  fakeProc
		pf    pidFileInfo
		owner int
		want  pidVerdict
	}{
		{"gone", fakeProc{}, pf, owner, pidGone},
		{"status unreadable", noPtrace(func(p fakeProc) { p[proc+"status"] = syscall.EACCES }), pf, owner, pidUnsure},
		{"other user", noPtrace(func(p fakeProc) { p[proc+"status"] = "Uid:\t0\t0\t0\t0\n" }), pf, owner, pidOther},
		{"other program", noPtrace(func(p fakeProc) { p[proc+"comm"] = "sleep\n" }), pf, owner, pidOther},
		{"cwd is the data directory", noPtrace(func(p fakeProc) { p[proc+"cwd"] = dataDir }), pf, owner, pidOrphan},
		{"cwd is elsewhere", noPtrace(func(p fakeProc) { p[proc+"cwd"] = otherDir }), pf, owner, pidOther},
		{"owner unknown, cwd is the data directory", noPtrace(func(p fakeProc) { p[proc+"cwd"] = dataDir }), pf, -1, pidOrphan},
		{"command line names the data directory", noPtrace(nil), pf, owner, pidOrphan},
		{"command line names it with -Ddir", noPtrace(func(p fakeProc) { p[proc+"cmdline"] = "postgres\x00-D" + dataDir + "\x00" }), pf, owner, pidOrphan},
		{"command line names another data directory", noPtrace(func(p fakeProc) { p[proc+"cmdline"] = "postgres\x00-D\x00" + otherDir + "\x00" }), pf, owner, pidOther},
		{"child process of a server", noPtrace(func(p fakeProc) { p[proc+"cmdline"] = "postgres: checkpointer     " }), pf, owner, pidOther},
		{"start time matches", noPtrace(noDataDirArg), pf, owner, pidOrphan},
		{"relative -D, start time matches", noPtrace(func(p fakeProc) { p[proc+"cmdline"] = "postgres\x00-D\x00pg\x00" }), pf, owner, pidOrphan},
		{"command line unreadable, start time matches", noPtrace(func(p fakeProc) { p[proc+"cmdline"] = syscall.EACCES }), pf, owner, pidOrphan},
		{"pid file written a few seconds after the start", noPtrace(noDataDirArg), pidFileInfo{pid: pid, start: boot + 505}, owner, pidOrphan},
		{"started an hour after the pid file was written", noPtrace(noDataDirArg), pidFileInfo{pid: pid, start: boot + 500 - 3600}, owner, pidUnsure},
		{"start time unreadable", noPtrace(func(p fakeProc) { noDataDirArg(p); p[proc+"stat"] = syscall.EACCES }), pf, owner, pidUnsure},
		{"no start time in the pid file", noPtrace(noDataDirArg), pidFileInfo{pid: pid}, owner, pidUnsure},
	}
	names := map[pidVerdict]string{pidUnsure: "unsure", pidGone: "gone", pidOrphan: "orphan", pidOther: "other"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := identifyPID(tt.proc, tt.pf, dataDir, tt.owner)
			if got != tt.want {
				t.Errorf("identifyPID = %s (%s), want %s", names[got], why, names[tt.want])
			}
			if why == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestParsePIDFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want pidFileInfo
		ok   bool
	}{
		{"1234\n/data/pg\n1700000500\n5432\n/run\n127.0.0.1\n  9979381    688184\nready   \n", pidFileInfo{pid: 1234, start: 1700000500}, true},
		{"-1234\n/data/pg\n1700000500\n", pidFileInfo{pid: 1234, start: 1700000500}, true},
		{"1234\n/data/pg\n", pidFileInfo{pid: 1234}, true},
		{"1234\n", pidFileInfo{pid: 1234}, true},
		{"1\n", pidFileInfo{}, false},
		{"", pidFileInfo{}, false},
		{"garbage\n", pidFileInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := parsePIDFile([]byte(tt.in))
		if ok != tt.ok || got != tt.want {
			t.Errorf("parsePIDFile(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestProcStartTime checks what is read from the real /proc: a new
// process's start time, give or take the rounding, and the test's own uid.
func TestProcStartTime(t *testing.T) {
	t.Parallel()
	before := time.Now().Unix()
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	after := time.Now().Unix()
	started, err := procStartTime(osProc{}, child.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if started < before-startSkewBefore || started > after+1 {
		t.Errorf("procStartTime = %d, want between %d and %d", started, before, after)
	}

	status, err := osProc{}.ReadFile(fmt.Sprintf("/proc/%d/status", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	uid, ok := statusUID(status)
	if diff := cmp.Diff([]any{os.Geteuid(), true}, []any{uid, ok}); diff != "" {
		t.Errorf("statusUID (-want +got):\n%s", diff)
	}
}
