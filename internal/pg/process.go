package pg

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// process is a running postgres server that this Cluster started.
type process struct {
	pid  int
	cmd  *exec.Cmd
	out  *serverOutput
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // exit status; read only after done is closed
	// drained is closed once the server's output pipe reached EOF, i.e. the
	// postmaster and every child that inherited the pipe are gone.
	drained chan struct{}
}

// startProcess starts path with args as a postgres server process.
//
// The process gets its own process group, so that a Ctrl-C on mobo's
// terminal does not reach it directly: mobo decides when and how PostgreSQL
// stops. It also gets a parent-death signal (Linux): if mobo dies, even by
// SIGKILL, the kernel sends the postmaster SIGINT, which is a fast shutdown.
//
// The parent-death signal fires when the *thread* that forked the child
// exits, not the process. Go threads come and go under the scheduler, so the
// child is forked from a goroutine locked to its OS thread, and that goroutine
// stays alive, blocked in Wait, for as long as the child runs. It never
// unlocks the thread, so the runtime discards the thread when the goroutine
// returns; the child has been reaped by then.
func startProcess(path string, args, env []string, dir string, u *osUser, out *serverOutput) (*process, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = dir
	// An *os.File is handed to the child as is: Wait then returns when the
	// postmaster exits, without waiting for the pipe to be closed by every
	// process that inherited it.
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = serverProcAttr(u.cred)

	p := &process{cmd: cmd, out: out, done: make(chan struct{}), drained: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	err = <-started
	_ = pw.Close() // the child holds its own copy
	if err != nil {
		_ = pr.Close()
		return nil, err
	}
	go func() {
		defer close(p.drained)
		defer func() { _ = pr.Close() }()
		out.consume(pr)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the postmaster unless it has already exited.
func (p *process) signal(sig os.Signal) {
	if p.exited() {
		return
	}
	// os.Process uses a pidfd where available, so a reaped and reused pid
	// cannot be hit.
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.out.log.Warn("signalling postgres", "pid", p.pid, "signal", sig.String(), "error", err)
	}
}

// killGroup sends SIGKILL to the postmaster's process group, which holds
// its children too. It is the last resort when shutdown did not finish.
func (p *process) killGroup() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
}

// waitExit waits up to d for the process to exit.
func (p *process) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// waitDrained waits up to d for the end of the server's output.
func (p *process) waitDrained(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.drained:
	case <-t.C:
	}
}

// childEnvAllowed are the variables of mobo's environment that PostgreSQL
// programs get. It is an allow-list: mobo's environment holds its secrets
// (MOBO_JWT_SECRET, MOBO_DATABASE_URL, …), which the server and the commands
// it runs must not see, and PG* variables that would redirect initdb. TZ is
// how initdb picks the cluster's time zone; LD_LIBRARY_PATH is what a
// self-built PostgreSQL may need to find its libraries.
var childEnvAllowed = []string{"PATH", "HOME", "TMPDIR", "TZ", "LD_LIBRARY_PATH"}

// childEnv is the environment of PostgreSQL programs: see filterEnv.
func childEnv() []string { return filterEnv(os.Environ()) }

// filterEnv keeps the childEnvAllowed variables of environ and sets the
// messages to English (mobo reads some of them).
func filterEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if name, _, ok := strings.Cut(kv, "="); ok && slices.Contains(childEnvAllowed, name) {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C")
}
