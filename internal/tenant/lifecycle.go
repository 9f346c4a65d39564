package tenant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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

// RotateKeys gives project ref a new JWT secret and, signed with it, new
// anon and service_role keys, and returns the project. Every token signed
// with the old secret stops working: the old keys, and the access tokens of
// signed-in users, who keep their sessions and get new access tokens with
// their refresh tokens. Scoped API keys (sb_secret_…) and RS256/ES256
// signing keys are not derived from the secret and stay.
func (m *Manager) RotateKeys(ctx context.Context, ref string) (*Project, error) {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	p, err := m.projects.Project(ref)
	if err != nil {
		return nil, err
	}
	if ref == DefaultRef && m.cfg.JWTSecret != "" {
		return nil, ErrSecretFromConfig
	}
	secret, err := randomToken(48)
	if err != nil {
		return nil, err
	}
	np := *p
	np.JWTSecret = secret
	if err := np.signKeys(time.Now()); err != nil {
		return nil, err
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	sealedSecret, sealedService, err := m.store.sealedKeys(&np)
	if err != nil {
		return nil, err
	}
	tag, err := pool.Exec(ctx, `update mobo.projects set jwt_secret = $2, anon_key = $3, service_key = $4, updated_at = now() where ref = $1`,
		ref, sealedSecret, np.AnonKey, sealedService)
	if err != nil {
		return nil, fmt.Errorf("rotating the keys of project %q: %w", ref, err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	// The entry as it is now (the watcher may have replaced it meanwhile),
	// with the new secret and keys.
	stored := m.projects.edit(ref, func(cur *Project) *Project {
		if cur == nil {
			return &np
		}
		c := *cur
		c.JWTSecret, c.AnonKey, c.ServiceKey = np.JWTSecret, np.AnonKey, np.ServiceKey
		return &c
	})
	// The new secret is stored: from here on, failures are logged, not
	// returned, so that the caller learns the new keys.
	ctx = context.WithoutCancel(ctx)
	m.changes.notify(ctx, ref)
	if err := m.cp.Audit(ctx, "admin", "project.rotate_keys", ref, nil); err != nil {
		m.log.Error("auditing a key rotation", "ref", ref, "err", err)
	}
	m.log.Info("project keys rotated", "ref", ref)
	return stored, nil
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
			if err := m.prov.allowConnections(ctx, p.Database, true); err != nil {
				return "", err
			}
		}
		if dump, err = m.prov.dump(ctx, p, o.DumpDir); err != nil {
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
	if err := m.prov.teardown(ctx, p); err != nil {
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

// ensure loads or creates project ref, finishing a creation that a crash
// interrupted, and brings its database up to date.
func (m *Manager) ensure(ctx context.Context, ref, name, db, secret string) (*Project, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	p, err := m.store.load(ctx, ref)
	if errors.Is(err, ErrNoProject) {
		if secret == "" {
			if secret, err = randomToken(48); err != nil {
				return nil, err
			}
		}
		p = &Project{Ref: ref, Name: name, Database: db, Status: "creating", JWTSecret: secret}
		if err := p.signKeys(time.Now()); err != nil {
			return nil, err
		}
		// The row goes in first, marked "creating": a crash after this point
		// is finished by the next start instead of leaving an unknown database.
		sealedSecret, sealedService, err := m.store.sealedKeys(p)
		if err != nil {
			return nil, err
		}
		_, err = pool.Exec(ctx, `insert into mobo.projects (ref, name, database, status, jwt_secret, anon_key, service_key)
			values ($1, $2, $3, 'creating', $4, $5, $6) on conflict (ref) do nothing`,
			p.Ref, p.Name, p.Database, sealedSecret, p.AnonKey, sealedService)
		if err != nil {
			return nil, fmt.Errorf("recording project %q: %w", ref, err)
		}
		m.log.Info("creating project", "ref", ref, "database", db)
		if p, err = m.store.load(ctx, ref); err != nil { // another node may have won the insert
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}

	if secret != "" && secret != p.JWTSecret {
		p.JWTSecret = secret
		if err := p.signKeys(time.Now()); err != nil {
			return nil, err
		}
		sealedSecret, sealedService, err := m.store.sealedKeys(p)
		if err != nil {
			return nil, err
		}
		_, err = pool.Exec(ctx, `update mobo.projects set jwt_secret = $2, anon_key = $3, service_key = $4, updated_at = now() where ref = $1`,
			p.Ref, sealedSecret, p.AnonKey, sealedService)
		if err != nil {
			return nil, fmt.Errorf("updating project %q secret: %w", ref, err)
		}
		m.log.Warn("jwt secret set by config differs from the stored one; anon and service keys re-issued", "ref", ref)
	}

	if m.external == "" {
		if err := m.srv.CreateDatabase(ctx, p.Database); err != nil {
			return nil, err
		}
	}
	if err := m.prov.setup(ctx, p); err != nil {
		return nil, err
	}
	if p.Status == "creating" {
		if _, err := pool.Exec(ctx, `update mobo.projects set status = 'active', updated_at = now() where ref = $1`, ref); err != nil {
			return nil, fmt.Errorf("activating project %q: %w", ref, err)
		}
		p.Status = "active"
		if err := m.cp.Audit(ctx, "system", "project.create", ref, nil); err != nil {
			return nil, err
		}
		m.log.Info("project created", "ref", ref)
	}
	return p, nil
}
