package rest

import (
	"context"
	"encoding/json"
	"fmt"
)

// SettingsStore keeps each project's overrides of the platform's [rest]
// section, a JSON object under [Config]'s key names. The tenant component
// provides it ([Options.Settings]); without it every project runs on the
// platform default.
type SettingsStore interface {
	// RESTSettings returns project ref's overrides ("{}" when none).
	RESTSettings(ctx context.Context, ref string) ([]byte, error)
	// PatchRESTSettings merges patch into project ref's overrides in one
	// step (a key set to null is removed) and returns the result.
	PatchRESTSettings(ctx context.Context, ref string, patch []byte) ([]byte, error)
}

// ProjectConfig is a project's REST settings as the admin API shows them.
type ProjectConfig struct {
	Ref string `json:"ref"`
	// Overrides are the project's own settings.
	Overrides json.RawMessage `json:"overrides"`
	// Effective are the settings requests run with: the platform default
	// with the overrides applied.
	Effective Config `json:"effective"`
}

func (s *Server) store() (SettingsStore, bool) {
	return s.opts.Settings, s.opts.Settings != nil
}

// effectiveConfig reads project ref's overrides and applies them to the
// platform default.
func (s *Server) effectiveConfig(ctx context.Context, ref string) (Config, []byte, error) {
	st, _ := s.store()
	return effectiveConfig(ctx, s.opts.Config, st, ref)
}

// effectiveConfig applies project ref's overrides in st (none when st is
// nil) to the platform default cfg.
func effectiveConfig(ctx context.Context, cfg Config, st SettingsStore, ref string) (Config, []byte, error) {
	if st == nil {
		return cfg, []byte("{}"), nil
	}
	raw, err := st.RESTSettings(ctx, ref)
	if err != nil {
		return Config{}, nil, fmt.Errorf("reading the REST settings of project %q: %w", ref, err)
	}
	eff, err := cfg.withOverrides(raw)
	if err != nil {
		return Config{}, nil, fmt.Errorf("project %q: %w", ref, err)
	}
	return eff, raw, nil
}

// ProjectConfig returns project ref's REST settings: its overrides and the
// effective configuration, encoded as a [ProjectConfig].
func (s *Server) ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error) {
	cfg, raw, err := s.effectiveConfig(ctx, ref)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ProjectConfig{Ref: ref, Overrides: raw, Effective: cfg.resolved()})
}

// PatchProjectConfig changes project ref's REST settings: patch is a JSON
// object of settings under [Config]'s key names, a null value restoring
// the platform default. An invalid patch is an error wrapping
// [ErrInvalidConfig] and changes nothing. The store tells every node of the
// change through the tenant's change hooks; this node's schema cache
// reloads the project's snapshot before the call returns.
func (s *Server) PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error) {
	if err := validatePatch(patch); err != nil {
		return nil, err
	}
	st, ok := s.store()
	if !ok {
		return nil, fmt.Errorf("%w: this server keeps no per-project settings", ErrInvalidConfig)
	}
	raw, err := st.PatchRESTSettings(ctx, ref, patch)
	if err != nil {
		return nil, fmt.Errorf("changing the REST settings of project %q: %w", ref, err)
	}
	cfg, err := s.opts.Config.withOverrides(raw)
	if err != nil {
		return nil, fmt.Errorf("project %q: %w", ref, err)
	}
	return json.Marshal(ProjectConfig{Ref: ref, Overrides: raw, Effective: cfg.resolved()})
}
