package tenant

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A project's API settings are kept in the control plane as a JSON object
// per API, overrides of the platform's defaults. The API that owns them
// validates them; the tenant only stores them.

// The settings of each API: its column of mobo.projects (the SQL below names
// only these constants), by index in Project.settings.
const (
	settingsREST = iota
	settingsAuth
)

var settingsColumns = [...]string{settingsREST: "rest_settings", settingsAuth: "auth_settings"}

// RESTSettings returns project ref's overrides of the REST API's settings,
// a JSON object ("{}" when none).
func (m *Manager) RESTSettings(ctx context.Context, ref string) ([]byte, error) {
	return m.settings(ctx, ref, settingsREST)
}

// PatchRESTSettings merges patch into project ref's REST settings; see
// [Manager.patchSettings].
func (m *Manager) PatchRESTSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	return m.patchSettings(ctx, ref, settingsREST, patch)
}

// AuthSettings returns project ref's overrides of the auth service's
// settings, a JSON object ("{}" when none).
func (m *Manager) AuthSettings(ctx context.Context, ref string) ([]byte, error) {
	return m.settings(ctx, ref, settingsAuth)
}

// PatchAuthSettings merges patch into project ref's auth settings; see
// [Manager.patchSettings].
func (m *Manager) PatchAuthSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	return m.patchSettings(ctx, ref, settingsAuth, patch)
}

func (m *Manager) settings(ctx context.Context, ref string, api int) ([]byte, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	var out []byte
	err = pool.QueryRow(ctx, `select `+settingsColumns[api]+`::text from mobo.projects where ref = $1`, ref).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s of project %q: %w", settingsColumns[api], ref, err)
	}
	return m.openSettings(settingsColumns[api], ref, out)
}

// patchSettings merges patch, a JSON object, into project ref's settings
// of api in one statement, so concurrent changes of different keys both
// stay: a key with a value is set, a key set to null is removed (JSON merge
// patch, RFC 7396, one level deep). It returns the settings after the
// change, and records the patch in the audit log. The caller validates the
// values. The change reaches every component the one way project changes
// do: the change hooks run on this node at once, and on every other node
// through the project watcher.
func (m *Manager) patchSettings(ctx context.Context, ref string, api int, patch []byte) ([]byte, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	col := settingsColumns[api]
	sealed, err := m.sealSettings(col, ref, patch)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = pool.QueryRow(ctx, `update mobo.projects p
		set `+col+` = (select coalesce(jsonb_object_agg(e.key, e.value), '{}')
			from jsonb_each(p.`+col+` || $2::jsonb) e where e.value <> 'null'::jsonb),
		    updated_at = now()
		where ref = $1 returning `+col+`::text`, ref, string(sealed)).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("changing the %s of project %q: %w", col, ref, err)
	}
	if out, err = m.openSettings(col, ref, out); err != nil {
		return nil, err
	}
	action := "project." + col
	if err := m.cp.Audit(context.WithoutCancel(ctx), "admin", action, ref, map[string]any{"patch": redactSettings(patch)}); err != nil {
		return nil, err
	}
	m.projects.update(ref, func(p *Project) { p.settings[api] = string(out) })
	m.projectChanged(context.WithoutCancel(ctx), ref)
	return out, nil
}
