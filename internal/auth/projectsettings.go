package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
// changed. The admin API answers it with a 400.
var ErrInvalidSettings error = badSettings("invalid auth settings")

// badSettings is a client's mistake in settings: HTTP 400.
type badSettings string

func (e badSettings) Error() string { return string(e) }

// HTTPStatus is 400.
func (badSettings) HTTPStatus() int { return http.StatusBadRequest }

// projectSettings are the keys a project may set, each nil when unset.
type projectSettings struct {
	SiteURL                    *string   `json:"site_url"`
	AdditionalRedirectURLs     *[]string `json:"additional_redirect_urls"`
	DisableSignup              *bool     `json:"disable_signup"`
	EnableConfirmations        *bool     `json:"enable_confirmations"`
	DisableAnonymous           *bool     `json:"disable_anonymous"`
	APIKeyOptional             *bool     `json:"api_key_optional"`
	DoubleConfirmChanges       *bool     `json:"double_confirm_changes"`
	SecurePasswordChange       *bool     `json:"secure_password_change"`
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
	APIKeyOptional             bool     `json:"api_key_optional"`
	DoubleConfirmChanges       bool     `json:"double_confirm_changes"`
	SecurePasswordChange       bool     `json:"secure_password_change"`
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
// applied. Each key the project sets is checked on its own (the platform's
// own values are not the project's to answer for). strict (a change being
// made) refuses unknown keys and bad values with an error wrapping
// [ErrInvalidSettings]; otherwise (loading what is stored, perhaps by a
// newer node) they are skipped and named in skipped.
func (c Config) withProjectSettings(overrides []byte, strict bool) (out Config, skipped []string, err error) {
	out = c
	if t := bytes.TrimSpace(overrides); len(t) == 0 || string(t) == "null" || string(t) == "{}" {
		return out, nil, nil
	}
	var ps projectSettings
	dec := json.NewDecoder(bytes.NewReader(overrides))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&ps); err != nil {
		if strict {
			return c, nil, fmt.Errorf("%w: %s", ErrInvalidSettings, settingsProblem(err))
		}
		return c, []string{settingsProblem(err)}, nil
	}
	var problems []string
	// set applies one key the project sets, if check finds no problem.
	set := func(present bool, check func() string, apply func()) {
		if !present {
			return
		}
		if p := check(); p != "" {
			problems = append(problems, p)
			return
		}
		apply()
	}
	fine := func() string { return "" }
	set(ps.SiteURL != nil, func() string { return urlProblem("site_url", *ps.SiteURL) }, func() { out.SiteURL = *ps.SiteURL })
	set(ps.AdditionalRedirectURLs != nil, func() string {
		for _, u := range *ps.AdditionalRedirectURLs {
			if p := urlProblem("additional_redirect_urls", u); p != "" {
				return p
			}
		}
		return ""
	}, func() { out.AdditionalRedirectURLs = *ps.AdditionalRedirectURLs })
	set(ps.DisableSignup != nil, fine, func() { out.DisableSignup = *ps.DisableSignup })
	set(ps.EnableConfirmations != nil, fine, func() { out.EnableConfirmations = *ps.EnableConfirmations })
	set(ps.DisableAnonymous != nil, fine, func() { out.DisableAnonymous = *ps.DisableAnonymous })
	set(ps.APIKeyOptional != nil, fine, func() { out.APIKeyOptional = *ps.APIKeyOptional })
	set(ps.DoubleConfirmChanges != nil, fine, func() { out.DoubleConfirmChanges = *ps.DoubleConfirmChanges })
	set(ps.SecurePasswordChange != nil, fine, func() { out.SecurePasswordChange = *ps.SecurePasswordChange })
	set(ps.JWTExpiry != nil, func() string { return durationProblem("jwt_expiry", *ps.JWTExpiry, time.Minute, 7*24*time.Hour) },
		func() { out.JWTExpiry = time.Duration(*ps.JWTExpiry) })
	set(ps.RefreshTokenReuseInterval != nil, func() string {
		return durationProblem("refresh_token_reuse_interval", *ps.RefreshTokenReuseInterval, 0, time.Hour)
	}, func() { out.RefreshTokenReuseInterval = time.Duration(*ps.RefreshTokenReuseInterval) })
	set(ps.PasswordMinLength != nil, func() string {
		return intProblem("password_min_length", *ps.PasswordMinLength, 6, 72, " (bcrypt reads 72 bytes)")
	}, func() { out.PasswordMinLength = *ps.PasswordMinLength })
	set(ps.PasswordRequiredCharacters != nil, func() string {
		for _, chars := range *ps.PasswordRequiredCharacters {
			if chars == "" || strings.ContainsRune(chars, 0) {
				return "password_required_characters: each set must hold characters, and no NUL"
			}
		}
		return ""
	}, func() { out.PasswordRequiredCharacters = *ps.PasswordRequiredCharacters })
	set(ps.OTPExpiry != nil, func() string { return durationProblem("otp_expiry", *ps.OTPExpiry, time.Minute, 24*time.Hour) },
		func() { out.OTPExpiry = time.Duration(*ps.OTPExpiry) })
	set(ps.OTPLength != nil, func() string { return intProblem("otp_length", *ps.OTPLength, 6, 10, "") },
		func() { out.OTPLength = *ps.OTPLength })
	set(ps.MFAMaxFactors != nil, func() string { return intProblem("mfa_max_factors", *ps.MFAMaxFactors, 1, 100, "") },
		func() { out.MFAMaxFactors = *ps.MFAMaxFactors })
	if len(problems) > 0 && strict {
		return c, nil, fmt.Errorf("%w: %s", ErrInvalidSettings, strings.Join(problems, "; "))
	}
	return out, problems, nil
}

// urlProblem checks a redirect target: an absolute http(s) URL, or a
// custom scheme's (a mobile app's deep link, "com.example.app://callback").
func urlProblem(key, u string) string {
	p, err := url.Parse(u)
	switch {
	case strings.ContainsRune(u, 0):
		return key + ": a URL without NUL"
	case err != nil || p.Scheme == "":
		return fmt.Sprintf("%s %q: want an absolute URL", key, u)
	case (p.Scheme == "http" || p.Scheme == "https") && p.Host == "":
		return fmt.Sprintf("%s %q: an http(s) URL needs a host", key, u)
	}
	return ""
}

func durationProblem(key string, d duration, lo, hi time.Duration) string {
	if time.Duration(d) >= lo && time.Duration(d) <= hi {
		return ""
	}
	return fmt.Sprintf("%s %v: want %v to %v", key, time.Duration(d), lo, hi)
}

func intProblem(key string, n, lo, hi int, why string) string {
	if n >= lo && n <= hi {
		return ""
	}
	return fmt.Sprintf("%s %d: want %d to %d%s", key, n, lo, hi, why)
}

// projectSettingsOf is c's view as [ProjectSettings].
func projectSettingsOf(c Config) ProjectSettings {
	return ProjectSettings{
		SiteURL: c.SiteURL, AdditionalRedirectURLs: nonNilStrings(c.AdditionalRedirectURLs),
		DisableSignup: c.DisableSignup, EnableConfirmations: c.EnableConfirmations, DisableAnonymous: c.DisableAnonymous,
		APIKeyOptional: c.APIKeyOptional, DoubleConfirmChanges: c.DoubleConfirmChanges, SecurePasswordChange: c.SecurePasswordChange,
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
	return s.settings, s.settings != nil
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
	cfg, skipped, _ := s.cfg.withProjectSettings(raw, false)
	if len(skipped) > 0 {
		s.log.Warn("project auth settings skipped", "ref", ref, "problems", skipped)
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
	if _, _, err := s.cfg.withProjectSettings(merged, true); err != nil {
		return nil, err
	}
	raw, err := st.PatchAuthSettings(ctx, ref, patch)
	if err != nil {
		return nil, err
	}
	cfg, _, _ := s.cfg.withProjectSettings(raw, false)
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
