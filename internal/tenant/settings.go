package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A project's API settings are kept in the control plane as a JSON object
// per API, overrides of the platform's defaults. The API that owns them
// validates them; the tenant only stores them.

// RESTSettings returns project ref's overrides of the REST API's settings,
// a JSON object ("{}" when none).
func (m *Manager) RESTSettings(ctx context.Context, ref string) ([]byte, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	var out []byte
	err = pool.QueryRow(ctx, `select rest_settings::text from mobo.projects where ref = $1`, ref).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the REST settings of project %q: %w", ref, err)
	}
	return out, nil
}

// PatchRESTSettings merges patch, a JSON object, into project ref's REST
// settings in one statement, so concurrent changes of different keys both
// stay: a key with a value is set, a key set to null is removed (JSON merge
// patch, RFC 7396, one level deep). It returns the settings after the
// change, and records the patch in the audit log. The caller validates the
// values.
func (m *Manager) PatchRESTSettings(ctx context.Context, ref string, patch []byte) ([]byte, error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return nil, err
	}
	var out []byte
	err = pool.QueryRow(ctx, `update mobo.projects p
		set rest_settings = (select coalesce(jsonb_object_agg(e.key, e.value), '{}')
			from jsonb_each(p.rest_settings || $2::jsonb) e where e.value <> 'null'::jsonb),
		    updated_at = now()
		where ref = $1 returning rest_settings::text`, ref, string(patch)).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("changing the REST settings of project %q: %w", ref, err)
	}
	if err := m.cp.Audit(context.WithoutCancel(ctx), "admin", "project.rest_settings", ref, map[string]any{"patch": json.RawMessage(patch)}); err != nil {
		return nil, err
	}
	return out, nil
}
