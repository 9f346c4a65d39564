package tenant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

// Project statuses, as stored in the control plane.
const (
	StatusCreating = "creating"
	StatusActive   = "active"
	StatusPaused   = "paused"
	StatusDeleting = "deleting"
)

var refPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}[a-z0-9]$`)

// ValidRef reports whether ref can name a project.
func ValidRef(ref string) bool { return refPattern.MatchString(ref) }

// NewRef returns a random ref: 16 lowercase letters, like Supabase's.
func NewRef() (string, error) {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b), nil
}

// CreateOptions configure a new project.
type CreateOptions struct {
	Ref  string // empty: generated
	Name string // empty: the ref
}

// Create makes a project: its row (status creating), database, roles,
// migrations and component setup, then marks it active. If mobo dies half
// way, the next Start finishes it.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (*Project, error) {
	if m.external != "" {
		return nil, errors.New("projects other than the default one need a managed cluster (mobo runs with --database-url)")
	}
	ref := o.Ref
	if ref == "" {
		var err error
		if ref, err = NewRef(); err != nil {
			return nil, err
		}
	}
	if !ValidRef(ref) {
		return nil, fmt.Errorf("%q: %w", ref, ErrInvalidRef)
	}
	name := o.Name
	if name == "" {
		name = ref
	}
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if _, err := m.store.load(ctx, ref); err == nil {
		return nil, fmt.Errorf("%q: %w", ref, ErrProjectExists)
	} else if !errors.Is(err, ErrNoProject) {
		return nil, err
	}
	p, err := m.ensure(ctx, ref, name, "proj_"+ref, "")
	if err != nil {
		return nil, fmt.Errorf("creating project %q: %w", ref, err)
	}
	m.projects.put(p)
	return p, nil
}

// List returns every project from the control plane, sorted by ref.
func (m *Manager) List(ctx context.Context) ([]*Project, error) { return m.store.list(ctx) }

// Rename changes a project's display name.
func (m *Manager) Rename(ctx context.Context, ref, name string) error {
	pool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	tag, err := pool.Exec(ctx, `update mobo.projects set name = $2, updated_at = now() where ref = $1`, ref, name)
	if err != nil {
		return fmt.Errorf("renaming project %q: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	m.projects.update(ref, func(p *Project) { p.Name = name })
	return nil
}

// Pause refuses new connections to the project's database, ends the open
// ones and frees its pool; the data stays.
func (m *Manager) Pause(ctx context.Context, ref string) error {
	return m.setPaused(ctx, ref, true)
}

// Resume undoes Pause.
func (m *Manager) Resume(ctx context.Context, ref string) error {
	return m.setPaused(ctx, ref, false)
}

func (m *Manager) setPaused(ctx context.Context, ref string, paused bool) error {
	if ref == DefaultRef && m.external != "" {
		return fmt.Errorf("pausing the served database: %w", ErrDefaultProject)
	}
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	p, err := m.store.load(ctx, ref)
	if err != nil {
		return err
	}
	want, allow := StatusActive, "true"
	if paused {
		want, allow = StatusPaused, "false"
	}
	if p.Status == want {
		return nil
	}
	if p.Status != StatusActive && p.Status != StatusPaused {
		return fmt.Errorf("project %q is %s", ref, p.Status)
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("pausing project %q: %w", ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "alter database "+pgx.Identifier{p.Database}.Sanitize()+" allow_connections "+allow); err != nil {
		return fmt.Errorf("setting connections of project %q: %w", ref, err)
	}
	if paused {
		m.conns.release(ref)
		if _, err := conn.Exec(ctx, "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", p.Database); err != nil {
			return fmt.Errorf("ending connections of project %q: %w", ref, err)
		}
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `update mobo.projects set status = $2, updated_at = now() where ref = $1`, ref, want); err != nil {
		return fmt.Errorf("recording project %q status: %w", ref, err)
	}
	p.Status = want
	m.projects.put(p)
	action := "project.resume"
	if paused {
		action = "project.pause"
	}
	return m.cp.Audit(ctx, "admin", action, ref, nil)
}

// DeleteOptions configure Delete.
type DeleteOptions struct {
	// NoDump skips the final logical dump.
	NoDump bool
	// DumpDir receives the dump (pg_dump's plain SQL). Required unless NoDump.
	DumpDir string
}

// Delete removes a project: a final dump (unless NoDump), then its database,
// its login role and its row. The row is marked deleting first, so a crash
// half way is finished by the next Start. It returns the dump's path.
func (m *Manager) Delete(ctx context.Context, ref string, o DeleteOptions) (string, error) {
	if ref == DefaultRef {
		return "", fmt.Errorf("deleting a project: %w", ErrDefaultProject)
	}
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	p, err := m.store.load(ctx, ref)
	if err != nil {
		return "", err
	}
	dump := ""
	if !o.NoDump && p.Status != StatusDeleting {
		if p.Status == StatusPaused {
			if err := m.allowConnections(ctx, p.Database, true); err != nil {
				return "", err
			}
		}
		if dump, err = m.dump(ctx, p, o.DumpDir); err != nil {
			return "", err
		}
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return "", err
	}
	if _, err := pool.Exec(ctx, `update mobo.projects set status = 'deleting', updated_at = now() where ref = $1`, ref); err != nil {
		return "", fmt.Errorf("marking project %q deleting: %w", ref, err)
	}
	if err := m.finishDelete(ctx, p); err != nil {
		return dump, err
	}
	return dump, m.cp.Audit(ctx, "admin", "project.delete", ref, map[string]any{"dump": dump})
}

func (m *Manager) finishDelete(ctx context.Context, p *Project) error {
	m.conns.release(p.Ref)
	if err := m.runTeardown(ctx, p); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "drop database if exists "+pgx.Identifier{p.Database}.Sanitize()+" with (force)"); err != nil {
		return fmt.Errorf("dropping the database of project %q: %w", p.Ref, err)
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	// The project's own roles: its login role, and the owner of its database.
	for _, key := range []string{loginRoleSetting(p.Ref), ownerRoleSetting(p.Ref)} {
		var role string
		err := pool.QueryRow(ctx, `select value from mobo.settings where key = $1`, key).Scan(&role)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err == nil {
			role, err = m.store.openSetting(key, role)
		}
		if err != nil {
			return fmt.Errorf("looking up the roles of project %q: %w", p.Ref, err)
		}
		if _, err := conn.Exec(ctx, "drop role if exists "+pgx.Identifier{role}.Sanitize()); err != nil {
			return fmt.Errorf("dropping role %q of project %q: %w", role, p.Ref, err)
		}
	}
	keys := []string{passwordSetting(p.Ref), loginRoleSetting(p.Ref), ownerRoleSetting(p.Ref), ownerPasswordSetting(p.Ref)}
	if _, err := pool.Exec(ctx, `delete from mobo.settings where key = any($1)`, keys); err != nil {
		return fmt.Errorf("deleting project %q settings: %w", p.Ref, err)
	}
	if _, err := pool.Exec(ctx, `delete from mobo.projects where ref = $1`, p.Ref); err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	m.projects.remove(p.Ref)
	m.log.Info("project deleted", "ref", p.Ref)
	return nil
}

// runTeardown runs the teardown hooks in reverse order of registration. A
// database that is already gone (a crash after the drop) needs none.
func (m *Manager) runTeardown(ctx context.Context, p *Project) error {
	if len(m.teardown) == 0 {
		return nil
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	var exists, allowed bool
	err = conn.QueryRow(ctx, "select true, datallowconn from pg_database where datname = $1", p.Database).Scan(&exists, &allowed)
	_ = conn.Close(context.WithoutCancel(ctx))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting project %q: %w", p.Ref, err)
	}
	if !allowed { // a paused project
		if err := m.allowConnections(ctx, p.Database, true); err != nil {
			return fmt.Errorf("deleting project %q: %w", p.Ref, err)
		}
	}
	for i := len(m.teardown) - 1; i >= 0; i-- {
		h := m.teardown[i]
		if err := h.fn(ctx, p.Ref, m.srv.ConnString(p.Database)); err != nil {
			return fmt.Errorf("tearing down %s for project %q: %w", h.name, p.Ref, err)
		}
	}
	return nil
}

func (m *Manager) allowConnections(ctx context.Context, db string, allow bool) error {
	conn, err := pgx.Connect(ctx, m.srv.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	v := "false"
	if allow {
		v = "true"
	}
	_, err = conn.Exec(ctx, "alter database "+pgx.Identifier{db}.Sanitize()+" allow_connections "+v)
	return err
}

// dump writes a plain-SQL pg_dump of the project's database under dir.
func (m *Manager) dump(ctx context.Context, p *Project, dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no dump directory configured")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating dump directory: %w", err)
	}
	bin := "pg_dump"
	if b, ok := m.srv.(interface{ BinDir() string }); ok && b.BinDir() != "" {
		if c := filepath.Join(b.BinDir(), "pg_dump"); fileExists(c) {
			bin = c
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.sql", p.Ref, time.Now().UTC().Format("20060102T150405Z")))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating dump file: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--dbname", m.srv.ConnString(p.Database))
	cmd.Stdout = f
	out := &limitedBuffer{max: 4096}
	cmd.Stderr = out
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("dumping project %q: %w: %s", p.Ref, err, out.String())
	}
	m.log.Info("project dumped", "ref", p.Ref, "path", path)
	return path, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// recover loads every project at Start: active ones are brought up to date,
// a creation or deletion that a crash interrupted is finished.
func (m *Manager) recover(ctx context.Context) error {
	list, err := m.List(ctx)
	if err != nil {
		return err
	}
	for _, p := range list {
		if p.Ref == DefaultRef {
			continue
		}
		switch p.Status {
		case StatusDeleting:
			m.log.Warn("finishing the deletion of a project that a stop interrupted", "ref", p.Ref)
			if err := m.finishDelete(ctx, p); err != nil {
				return err
			}
		case StatusCreating, StatusActive:
			if p.Status == StatusCreating {
				m.log.Warn("finishing the creation of a project that a stop interrupted", "ref", p.Ref)
			}
			q, err := m.ensure(ctx, p.Ref, p.Name, p.Database, "")
			if err != nil {
				return fmt.Errorf("setting up project %q: %w", p.Ref, err)
			}
			m.projects.put(q)
		case StatusPaused:
			m.projects.put(p)
		}
	}
	return nil
}
