package tenant

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Settings keeps the projects' API settings: in the control plane, a JSON
// object per API of overrides of the platform's defaults, with the secrets
// in them sealed (store.go). The API that owns them validates them;
// Settings only stores them, and tells every component of every node of a
// change through the change hooks ([Manager.AddChangeHook]). It keeps no
// state of its own and is safe for concurrent use.
type Settings struct {
	store    *store
	projects *Projects
	changes  *changes
}

// The settings of each API: its column of mobo.projects (the SQL below names
// only these constants), by index in Project.settings.
const (
	settingsREST = iota
	settingsAuth
)

var settingsColumns = [...]string{settingsREST: "rest_settings", settingsAuth: "auth_settings"}

// RESTSettings returns project ref's overrides of the REST API's settings,
// a JSON object ("{}" when none).
func (s *Settings) RESTSettings(ctx context.Context, ref string) ([]byte, error) {
	return s.get(ctx, ref, settingsREST)
}

// PatchRESTSettings merges patch into project ref's REST settings; see
// [Settings.patch].
func (s *Settings) PatchRESTSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	return s.patch(ctx, ref, settingsREST, patch)
}

// AuthSettings returns project ref's overrides of the auth service's
// settings, a JSON object ("{}" when none).
func (s *Settings) AuthSettings(ctx context.Context, ref string) ([]byte, error) {
	return s.get(ctx, ref, settingsAuth)
}

// PatchAuthSettings merges patch into project ref's auth settings; see
// [Settings.patch].
func (s *Settings) PatchAuthSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	return s.patch(ctx, ref, settingsAuth, patch)
}

func (s *Settings) get(ctx context.Context, ref string, api int) ([]byte, error) {
	pool, err := s.store.cp.Pool()
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
	return s.store.openSettings(settingsColumns[api], ref, out)
}

// patch merges patch, a JSON object, into project ref's settings
// of api in one statement, so concurrent changes of different keys both
// stay: a key with a value is set, a key set to null is removed (JSON merge
// patch, RFC 7396, one level deep). It returns the settings after the
// change, and records the patch in the audit log. The caller validates the
// values. The change reaches every component the one way project changes
// do: the change hooks run on this node at once, and on every other node
// through the project watcher.
func (s *Settings) patch(ctx context.Context, ref string, api int, patch []byte) ([]byte, error) {
	pool, err := s.store.cp.Pool()
	if err != nil {
		return nil, err
	}
	col := settingsColumns[api]
	sealed, err := s.store.sealSettings(col, ref, patch)
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
	if out, err = s.store.openSettings(col, ref, out); err != nil {
		return nil, err
	}
	action := "project." + col
	if err := s.store.cp.Audit(context.WithoutCancel(ctx), "admin", action, ref, map[string]any{"patch": redactSettings(patch)}); err != nil {
		return nil, err
	}
	s.projects.update(ref, func(p *Project) { p.settings[api] = string(out) })
	s.changes.notify(context.WithoutCancel(ctx), ref)
	return out, nil
}
