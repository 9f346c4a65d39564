package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// A project may set some of the auth settings for itself, overrides of the
// platform's [auth] section kept by the tenant component as a JSON object
// under the section's key names ({"disable_signup": true}). Those are the
// settings of its users and sign-ins; the platform's mail and SMS senders,
// signing keys, hashing cost and rate limits stay shared.

// SettingsStore keeps each project's auth overrides. The tenant component
// provides it; [Tenants] is asked for it by type assertion, and without it
// every project runs on the platform's settings.
type SettingsStore interface {
	// AuthSettings returns project ref's overrides ("{}" when none).
	AuthSettings(ctx context.Context, ref string) ([]byte, error)
	// PatchAuthSettings merges patch into project ref's overrides in one
	// step (a key set to null is removed), returns the result, and has the
	// project reloaded on every node.
	PatchAuthSettings(ctx context.Context, ref string, patch []byte) ([]byte, error)
}

// ErrInvalidSettings: a project's auth settings are not valid; nothing was
// changed.
var ErrInvalidSettings = errors.New("invalid auth settings")

// projectSettings are the keys a project may set, each nil when unset.
type projectSettings struct {
	SiteURL                    *string   `json:"site_url"`
	AdditionalRedirectURLs     *[]string `json:"additional_redirect_urls"`
	DisableSignup              *bool     `json:"disable_signup"`
	EnableConfirmations        *bool     `json:"enable_confirmations"`
	DisableAnonymous           *bool     `json:"disable_anonymous"`
	JWTExpiry                  *duration `json:"jwt_expiry"`
	RefreshTokenReuseInterval  *duration `json:"refresh_token_reuse_interval"`
	PasswordMinLength          *int      `json:"password_min_length"`
	PasswordRequiredCharacters *[]string `json:"password_required_characters"`
	OTPExpiry                  *duration `json:"otp_expiry"`
	OTPLength                  *int      `json:"otp_length"`
	MFAMaxFactors              *int      `json:"mfa_max_factors"`
}

// ProjectSettings are the effective values of the keys a project may set.
type ProjectSettings struct {
	SiteURL                    string   `json:"site_url"`
	AdditionalRedirectURLs     []string `json:"additional_redirect_urls"`
	DisableSignup              bool     `json:"disable_signup"`
	EnableConfirmations        bool     `json:"enable_confirmations"`
	DisableAnonymous           bool     `json:"disable_anonymous"`
	JWTExpiry                  duration `json:"jwt_expiry"`
	RefreshTokenReuseInterval  duration `json:"refresh_token_reuse_interval"`
	PasswordMinLength          int      `json:"password_min_length"`
	PasswordRequiredCharacters []string `json:"password_required_characters"`
	OTPExpiry                  duration `json:"otp_expiry"`
	OTPLength                  int      `json:"otp_length"`
	MFAMaxFactors              int      `json:"mfa_max_factors"`
}

// ProjectConfig is a project's auth settings as the admin API shows them.
type ProjectConfig struct {
	Ref string `json:"ref"`
	// Overrides are the project's own settings.
	Overrides json.RawMessage `json:"overrides"`
	// Effective are the settings its requests run with: the platform's
	// with the overrides applied.
	Effective ProjectSettings `json:"effective"`
}

// duration is a time.Duration written as in Go ("1h30m").
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("want a duration such as \"1h\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: want a duration such as \"1h\"", s)
	}
	*d = duration(v)
	return nil
}

// withProjectSettings returns c with overrides (a stored JSON object)
// applied and checked; errors wrap [ErrInvalidSettings].
func (c Config) withProjectSettings(overrides []byte) (Config, error) {
	out := c
	if t := bytes.TrimSpace(overrides); len(t) == 0 || string(t) == "null" || string(t) == "{}" {
		return out, nil
	}
	var ps projectSettings
	dec := json.NewDecoder(bytes.NewReader(overrides))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return c, fmt.Errorf("%w: %s", ErrInvalidSettings, settingsProblem(err))
	}
	if ps.SiteURL != nil {
		out.SiteURL = *ps.SiteURL
	}
	if ps.AdditionalRedirectURLs != nil {
		out.AdditionalRedirectURLs = *ps.AdditionalRedirectURLs
	}
	if ps.DisableSignup != nil {
		out.DisableSignup = *ps.DisableSignup
	}
	if ps.EnableConfirmations != nil {
		out.EnableConfirmations = *ps.EnableConfirmations
	}
	if ps.DisableAnonymous != nil {
		out.DisableAnonymous = *ps.DisableAnonymous
	}
	if ps.JWTExpiry != nil {
		out.JWTExpiry = time.Duration(*ps.JWTExpiry)
	}
	if ps.RefreshTokenReuseInterval != nil {
		out.RefreshTokenReuseInterval = time.Duration(*ps.RefreshTokenReuseInterval)
	}
	if ps.PasswordMinLength != nil {
		out.PasswordMinLength = *ps.PasswordMinLength
	}
	if ps.PasswordRequiredCharacters != nil {
		out.PasswordRequiredCharacters = *ps.PasswordRequiredCharacters
	}
	if ps.OTPExpiry != nil {
		out.OTPExpiry = time.Duration(*ps.OTPExpiry)
	}
	if ps.OTPLength != nil {
		out.OTPLength = *ps.OTPLength
	}
	if ps.MFAMaxFactors != nil {
		out.MFAMaxFactors = *ps.MFAMaxFactors
	}
	if err := out.checkProjectSettings(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	return out, nil
}

// checkProjectSettings bounds the values a project may set (GoTrue's
// bounds where it has them).
func (c Config) checkProjectSettings() error {
	var errs []error
	for _, u := range append([]string{c.SiteURL}, c.AdditionalRedirectURLs...) {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "") {
			errs = append(errs, fmt.Errorf("%q is not an absolute http(s) URL (or a custom-scheme prefix)", u))
		}
	}
	if c.JWTExpiry < time.Minute || c.JWTExpiry > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("jwt_expiry %v: want 1m to 168h", c.JWTExpiry))
	}
	if c.RefreshTokenReuseInterval < 0 || c.RefreshTokenReuseInterval > time.Hour {
		errs = append(errs, fmt.Errorf("refresh_token_reuse_interval %v: want 0 to 1h", c.RefreshTokenReuseInterval))
	}
	if c.PasswordMinLength < 6 || c.PasswordMinLength > 72 {
		errs = append(errs, fmt.Errorf("password_min_length %d: want 6 to 72 (bcrypt reads 72 bytes)", c.PasswordMinLength))
	}
	for _, set := range c.PasswordRequiredCharacters {
		if set == "" {
			errs = append(errs, errors.New("password_required_characters: an empty set"))
		}
	}
	if c.OTPExpiry < time.Minute || c.OTPExpiry > 24*time.Hour {
		errs = append(errs, fmt.Errorf("otp_expiry %v: want 1m to 24h", c.OTPExpiry))
	}
	if c.OTPLength < 6 || c.OTPLength > 10 {
		errs = append(errs, fmt.Errorf("otp_length %d: want 6 to 10", c.OTPLength))
	}
	if c.MFAMaxFactors < 1 || c.MFAMaxFactors > 100 {
		errs = append(errs, fmt.Errorf("mfa_max_factors %d: want 1 to 100", c.MFAMaxFactors))
	}
	return errors.Join(errs...)
}

// projectSettingsOf is c's view as [ProjectSettings].
func projectSettingsOf(c Config) ProjectSettings {
	return ProjectSettings{
		SiteURL: c.SiteURL, AdditionalRedirectURLs: nonNilStrings(c.AdditionalRedirectURLs),
		DisableSignup: c.DisableSignup, EnableConfirmations: c.EnableConfirmations, DisableAnonymous: c.DisableAnonymous,
		JWTExpiry: duration(c.JWTExpiry), RefreshTokenReuseInterval: duration(c.RefreshTokenReuseInterval),
		PasswordMinLength: c.PasswordMinLength, PasswordRequiredCharacters: nonNilStrings(c.PasswordRequiredCharacters),
		OTPExpiry: duration(c.OTPExpiry), OTPLength: c.OTPLength, MFAMaxFactors: c.MFAMaxFactors,
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// settingsProblem says what is wrong with a settings object, in words meant
// for the person who sent it.
func settingsProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return "the settings must be a JSON object"
		}
		want := map[string]string{
			"bool": "true or false", "string": "a string", "int": "a whole number",
			"[]string": "a list of strings", "*auth.duration": "a duration such as \"1h\"",
		}[te.Type.String()]
		if want == "" {
			want = te.Type.String()
		}
		return fmt.Sprintf("%s: want %s, not %s", te.Field, want, te.Value)
	}
	return err.Error()
}

// mergePatch applies patch (a JSON object; null removes a key) to stored,
// one level deep, as the tenant will.
func mergePatch(stored, patch []byte) ([]byte, error) {
	var base, p map[string]json.RawMessage
	if err := json.Unmarshal(stored, &base); err != nil || base == nil {
		base = map[string]json.RawMessage{}
	}
	if err := json.Unmarshal(patch, &p); err != nil || p == nil {
		return nil, fmt.Errorf("%w: the settings must be a JSON object", ErrInvalidSettings)
	}
	for k, v := range p {
		if string(bytes.TrimSpace(v)) == "null" {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	return json.Marshal(base)
}

func (s *Service) store() (SettingsStore, bool) {
	st, ok := s.tenants.(SettingsStore)
	return st, ok
}

// projectConfig reads project ref's overrides and applies them to the
// platform's settings.
func (s *Service) projectConfig(ctx context.Context, ref string) (Config, []byte, error) {
	st, ok := s.store()
	if !ok {
		return s.cfg, []byte("{}"), nil
	}
	raw, err := st.AuthSettings(ctx, ref)
	if err != nil {
		return Config{}, nil, err
	}
	cfg, err := s.cfg.withProjectSettings(raw)
	if err != nil {
		return Config{}, nil, fmt.Errorf("project %q: %w", ref, err)
	}
	return cfg, raw, nil
}

// ProjectConfig returns project ref's auth settings, encoded as a
// [ProjectConfig].
func (s *Service) ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error) {
	cfg, raw, err := s.projectConfig(ctx, ref)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ProjectConfig{Ref: ref, Overrides: raw, Effective: projectSettingsOf(cfg)})
}

// PatchProjectConfig changes project ref's auth settings: patch is a JSON
// object under the [auth] section's key names, null restoring the platform
// value. An invalid patch is an error wrapping [ErrInvalidSettings] and
// changes nothing. The change applies to the project's next request, on
// every node.
func (s *Service) PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error) {
	st, ok := s.store()
	if !ok {
		return nil, fmt.Errorf("%w: this server keeps no per-project settings", ErrInvalidSettings)
	}
	current, err := st.AuthSettings(ctx, ref)
	if err != nil {
		return nil, err
	}
	merged, err := mergePatch(current, patch)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.withProjectSettings(merged); err != nil {
		return nil, err
	}
	raw, err := st.PatchAuthSettings(ctx, ref, patch)
	if err != nil {
		return nil, err
	}
	cfg, err := s.cfg.withProjectSettings(raw)
	if err != nil { // a concurrent change made the merge invalid
		return nil, fmt.Errorf("project %q: %w", ref, err)
	}
	return json.Marshal(ProjectConfig{Ref: ref, Overrides: raw, Effective: projectSettingsOf(cfg)})
}

// cfgKey carries the request's project settings in its context.
type cfgKey struct{}

// conf returns the settings of the project whose request ctx belongs to
// (set by the router), or the platform's outside a request.
func (s *Service) conf(ctx context.Context) *Config {
	if c, ok := ctx.Value(cfgKey{}).(*Config); ok {
		return c
	}
	return &s.cfg
}
