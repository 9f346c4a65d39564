package tenant

import (
	"context"
	"fmt"
	"time"
)

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
