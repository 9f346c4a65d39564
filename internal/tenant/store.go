package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/secrets"
)

// A project's secrets are sealed in the control plane (package secrets):
// its JWT secret and service_role key, and, in its API settings, every
// string under a secret's name (an SMTP "pass", a provider's
// "client_secret"). The anon key is public by design and stays as it is.
// Values are sealed as they are written and opened as they are read; at
// start, those not sealed under the current key are sealed again.

// store reads and writes the projects' rows in the control plane
// (mobo.projects), sealing their secrets as they are written and opening
// them as they are read. It keeps no state of its own.
type store struct {
	cp   ControlPlane
	keys *secrets.Keyring // nil until checked at Start
}

// read reads a project row and opens its sealed fields.
func (s *store) read(row pgx.Row) (*Project, error) {
	p, err := scanProject(row)
	if err != nil {
		return p, err
	}
	return p, s.openProject(p)
}

// load reads project ref.
func (s *store) load(ctx context.Context, ref string) (*Project, error) {
	pool, err := s.cp.Pool()
	if err != nil {
		return nil, err
	}
	p, err := s.read(pool.QueryRow(ctx, `select `+projectColumns+` from mobo.projects where ref = $1`, ref))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("loading project %q: %w", ref, err)
	}
	return p, nil
}

// list returns every project from the control plane, sorted by ref.
func (s *store) list(ctx context.Context) ([]*Project, error) {
	pool, err := s.cp.Pool()
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `select `+projectColumns+` from mobo.projects order by ref`)
	if err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Project, error) { return s.read(r) })
}

// Places of a project's sealed columns, bound to the project.
func jwtSecretPlace(ref string) string  { return "projects.jwt_secret:" + ref }
func serviceKeyPlace(ref string) string { return "projects.service_key:" + ref }
func settingPlace(col, ref, key string) string {
	return "projects." + col + ":" + ref + "/" + key
}

// secretName reports whether a setting named key holds a secret.
func secretName(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"pass", "password", "secret", "private_key"} {
		if k == s || strings.HasSuffix(k, "_"+s) {
			return true
		}
	}
	return false
}

// mapSecrets returns the JSON document doc with f applied to every string
// under a secret's name, at any depth.
func mapSecrets(doc []byte, f func(key, v string) (string, error)) ([]byte, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	v, err := walkSecrets(v, "", f)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func walkSecrets(v any, key string, f func(key, v string) (string, error)) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			nv, err := walkSecrets(e, k, f)
			if err != nil {
				return nil, err
			}
			t[k] = nv
		}
	case []any:
		for i, e := range t {
			nv, err := walkSecrets(e, key, f)
			if err != nil {
				return nil, err
			}
			t[i] = nv
		}
	case string:
		if secretName(key) {
			return f(key, t)
		}
	}
	return v, nil
}

// sealSettings seals the secrets of settings (column col of project ref).
func (s *store) sealSettings(col, ref string, doc []byte) ([]byte, error) {
	return mapSecrets(doc, func(key, v string) (string, error) { return s.keys.Seal(settingPlace(col, ref, key), v) })
}

// openSettings opens the secrets of settings (column col of project ref).
func (s *store) openSettings(col, ref string, doc []byte) ([]byte, error) {
	return mapSecrets(doc, func(key, v string) (string, error) { return s.keys.Open(settingPlace(col, ref, key), v) })
}

// redactSettings replaces the secrets of settings, for the audit log.
func redactSettings(doc []byte) json.RawMessage {
	out, err := mapSecrets(doc, func(string, string) (string, error) { return "[redacted]", nil })
	if err != nil {
		return json.RawMessage(`"[unreadable]"`)
	}
	return out
}

// openProject opens the sealed fields of a project just read.
func (s *store) openProject(p *Project) error {
	var err error
	if p.JWTSecret, err = s.keys.Open(jwtSecretPlace(p.Ref), p.JWTSecret); err != nil {
		return err
	}
	if p.ServiceKey, err = s.keys.Open(serviceKeyPlace(p.Ref), p.ServiceKey); err != nil {
		return err
	}
	for api, col := range settingsColumns {
		doc, err := s.openSettings(col, p.Ref, []byte(p.settings[api]))
		if err != nil {
			return err
		}
		p.settings[api] = string(doc)
	}
	return nil
}

// sealedKeys returns p's JWT secret and service key sealed for storage.
func (s *store) sealedKeys(p *Project) (secret, service string, err error) {
	if secret, err = s.keys.Seal(jwtSecretPlace(p.Ref), p.JWTSecret); err != nil {
		return "", "", err
	}
	service, err = s.keys.Seal(serviceKeyPlace(p.Ref), p.ServiceKey)
	return secret, service, err
}

// reseal seals again every project secret not sealed under the
// current key.
func (s *store) reseal(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `select `+projectColumns+` from mobo.projects`)
	if err != nil {
		return fmt.Errorf("reading projects: %w", err)
	}
	stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Project, error) { return scanProject(r) })
	if err != nil {
		return fmt.Errorf("reading projects: %w", err)
	}
	for _, p := range stored {
		if s.keys.Current(p.JWTSecret) && s.keys.Current(p.ServiceKey) && !s.settingsStale(p) {
			continue
		}
		if err := s.openProject(p); err != nil {
			return fmt.Errorf("project %q: %w", p.Ref, err)
		}
		if err := s.storeSealed(ctx, pool, p); err != nil {
			return err
		}
	}
	return nil
}

// settingsStale reports whether a project's stored settings hold a secret
// not sealed under the current key.
func (s *store) settingsStale(p *Project) bool {
	stale := false
	for _, doc := range p.settings {
		_, _ = mapSecrets([]byte(doc), func(_, v string) (string, error) {
			stale = stale || !s.keys.Current(v)
			return v, nil
		})
	}
	return stale
}

// storeSealed writes p's secrets and settings sealed under the current key.
func (s *store) storeSealed(ctx context.Context, pool *pgxpool.Pool, p *Project) error {
	secret, service, err := s.sealedKeys(p)
	if err != nil {
		return err
	}
	docs := make([]string, len(settingsColumns))
	for api, col := range settingsColumns {
		doc, err := s.sealSettings(col, p.Ref, []byte(p.settings[api]))
		if err != nil {
			return err
		}
		docs[api] = string(doc)
	}
	_, err = pool.Exec(ctx, `update mobo.projects set jwt_secret = $2, service_key = $3,
		rest_settings = $4::jsonb, auth_settings = $5::jsonb where ref = $1`,
		p.Ref, secret, service, docs[settingsREST], docs[settingsAuth])
	if err != nil {
		return fmt.Errorf("sealing the secrets of project %q: %w", p.Ref, err)
	}
	return nil
}

// openSetting opens a value read from the control plane's settings table
// directly (the roles a project's teardown drops).
func (s *store) openSetting(key, v string) (string, error) {
	return s.keys.Open(secrets.SettingPlace(key), v)
}
