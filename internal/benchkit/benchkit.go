// Package benchkit holds helpers for the benchmark commands that drive the
// real mobo binary: it starts `mobo serve` on a temp data dir and a free
// loopback address ([StartMobo]), waits until it is ready, reads its admin
// key, creates projects through the admin API ([Mobo.CreateProject]), gives
// the URL of a project's database as the cluster's superuser
// ([Mobo.DatabaseURL]) and stops it ([Mobo.Stop]). [LogBuffer] keeps a
// process's output for the error messages.
//
// A [Mobo]'s methods may be called from any goroutine; [Mobo.Stop] may be
// called more than once.
package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// MoboBinary returns the absolute path of the mobo binary at path, or an
// error that says how to build it.
func MoboBinary(path string) (string, error) {
	bin, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the mobo binary: %w (run `make build`)", err)
	}
	return bin, nil
}

// DataDir creates a temp data dir for mobo, named after prefix; the caller
// removes it.
func DataDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // postgres's OS user must reach it when we run as root
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// Mobo is a running `mobo serve`.
type Mobo struct {
	cmd      *exec.Cmd
	dir      string
	url      string
	adminKey string
	out      *LogBuffer
	waited   chan error
	http     *http.Client
}

// readAdminKey reads the admin key from the data directory's server.json,
// where mobo writes it (its banner prints keys only on a terminal); "" until
// it is there.
func (m *Mobo) readAdminKey() string {
	b, err := os.ReadFile(filepath.Join(m.dir, "server.json"))
	if err != nil {
		return ""
	}
	var info struct {
		AdminKey string `json:"admin_key"`
	}
	if json.Unmarshal(b, &info) != nil {
		return ""
	}
	return info.AdminKey
}

// StartMobo runs `bin serve --data-dir dir --http ADDR extraArgs...` on a
// free loopback address and waits, for up to 2 minutes, until /readyz
// answers 200 and the admin key is in server.json.
func StartMobo(ctx context.Context, bin, dir string, extraArgs ...string) (*Mobo, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--data-dir", dir, "--http", addr}, extraArgs...)
	cmd := exec.Command(bin, args...)
	m := &Mobo{
		cmd: cmd, dir: dir, url: "http://" + addr, out: &LogBuffer{}, waited: make(chan error, 1),
		http: &http.Client{Timeout: time.Minute},
	}
	cmd.Stdout, cmd.Stderr = m.out, m.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting mobo: %w", err)
	}
	go func() { m.waited <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-m.waited:
			m.waited <- err
			return nil, fmt.Errorf("mobo exited before it was ready (%w):\n%s", err, m.out.Tail(40))
		case <-ctx.Done():
			_ = m.Stop()
			return nil, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			_ = m.Stop()
			return nil, fmt.Errorf("mobo not ready within 2 minutes:\n%s", m.out.Tail(40))
		}
		if m.ready(ctx) {
			if key := m.readAdminKey(); key != "" {
				m.adminKey = key
				return m, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready reports whether /readyz answers 200 and the banner is out.
func (m *Mobo) ready(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK && strings.Contains(m.out.String(), "Press Ctrl-C")
}

// URL is mobo's base URL, http://127.0.0.1:PORT.
func (m *Mobo) URL() string { return m.url }

// Dir is mobo's data dir.
func (m *Mobo) Dir() string { return m.dir }

// PID is the mobo process's id.
func (m *Mobo) PID() int { return m.cmd.Process.Pid }

// AdminKey is the admin API key mobo printed in its banner.
func (m *Mobo) AdminKey() string { return m.adminKey }

// Client is the HTTP client the helpers use (a minute's timeout).
func (m *Mobo) Client() *http.Client { return m.http }

// Out is mobo's output so far, stdout and stderr.
func (m *Mobo) Out() *LogBuffer { return m.out }

// Stop interrupts mobo and waits for it (it stops PostgreSQL too); it kills
// it after a minute.
func (m *Mobo) Stop() error {
	if err := m.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupting mobo: %w", err)
	}
	select {
	case err := <-m.waited:
		m.waited <- err
		if err != nil {
			return fmt.Errorf("mobo exited with %w after SIGINT", err)
		}
		return nil
	case <-time.After(time.Minute):
		_ = m.cmd.Process.Kill()
		return errors.New("mobo did not stop within a minute of SIGINT; killed it")
	}
}

// CreateProject creates project ref (named "bench REF") through the admin
// API and returns its anon key.
func (m *Mobo) CreateProject(ctx context.Context, ref string) (string, error) {
	body, err := json.Marshal(map[string]string{"ref": ref, "name": "bench " + ref})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/admin/v1/projects", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+m.adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("creating project %q: %w", ref, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("creating project %q: %w", ref, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("creating project %q: %s: %s", ref, resp.Status, b)
	}
	var p struct {
		AnonKey string `json:"anon_key"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.AnonKey == "" {
		return "", fmt.Errorf("creating project %q: no anon_key in %s", ref, b)
	}
	return p.AnonKey, nil
}

// DatabaseURL is the URL of database (a project's is proj_REF) as the
// cluster's superuser, over TCP on the port in postmaster.pid with the
// password mobo generated; appName is the connections' application_name.
func (m *Mobo) DatabaseURL(database, appName string) (string, error) {
	pw, err := os.ReadFile(filepath.Join(m.dir, "pg_superuser_password"))
	if err != nil {
		return "", fmt.Errorf("reading the superuser password: %w", err)
	}
	pid, err := os.ReadFile(filepath.Join(m.dir, "pg", "postmaster.pid"))
	if err != nil {
		return "", fmt.Errorf("reading postmaster.pid: %w", err)
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 4 {
		return "", fmt.Errorf("postmaster.pid has %d lines, want a port on the 4th", len(lines))
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("postgres", strings.TrimSpace(string(pw))),
		Host:     net.JoinHostPort("127.0.0.1", strings.TrimSpace(lines[3])),
		Path:     "/" + database,
		RawQuery: "sslmode=disable&application_name=" + url.QueryEscape(appName),
	}
	return u.String(), nil
}

// FreeAddr returns a loopback address with a port that was free just now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// logLimit bounds a LogBuffer: it keeps the banner and the start of trouble.
const logLimit = 8 << 20

// LogBuffer keeps a process's output, up to 8 MiB; it is an [io.Writer]
// safe for concurrent use. The zero value is ready.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > logLimit {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tail returns the last n lines.
func (l *LogBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// GrepTail returns the last n lines that contain s.
func (l *LogBuffer) GrepTail(s string, n int) string {
	var hits []string
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, s) {
			hits = append(hits, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(hits[max(0, len(hits)-n):], "\n")
}
