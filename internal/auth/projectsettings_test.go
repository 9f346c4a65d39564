package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWithProjectSettings(t *testing.T) {
	t.Parallel()
	base := Defaults()
	for _, c := range []struct {
		name, overrides string
		check           func(Config) bool
		err             string // a fragment of the error, "" for none
	}{
		{"none", `{}`, func(c Config) bool { return c.JWTExpiry == base.JWTExpiry && !c.DisableSignup }, ""},
		{
			"values", `{"disable_signup":true,"jwt_expiry":"15m","otp_length":8,"additional_redirect_urls":["https://app.example.com"]}`,
			func(c Config) bool {
				return c.DisableSignup && c.JWTExpiry == 15*time.Minute && c.OTPLength == 8 && c.AdditionalRedirectURLs[0] == "https://app.example.com" &&
					c.PasswordMinLength == base.PasswordMinLength
			}, "",
		},
		{"unknown key", `{"bcrypt_cost":4}`, nil, "bcrypt_cost"},
		{"wrong type", `{"disable_signup":"yes"}`, nil, "disable_signup"},
		{"bad duration", `{"otp_expiry":"soon"}`, nil, "duration"},
		{"out of range", `{"otp_length":4,"jwt_expiry":"1s"}`, nil, "otp_length 4"},
		{"relative URL", `{"site_url":"/home"}`, nil, "absolute"},
		{"http without host", `{"additional_redirect_urls":["https:///x"]}`, nil, "host"},
		{
			"deep link", `{"additional_redirect_urls":["com.example.app://callback"]}`,
			func(c Config) bool { return c.AdditionalRedirectURLs[0] == "com.example.app://callback" }, "",
		},
		{"NUL", `{"password_required_characters":["a\u0000"]}`, nil, "NUL"},
		{"not an object", `[1]`, nil, "must be a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := base.withProjectSettings([]byte(c.overrides), true)
			if c.err != "" {
				if !errors.Is(err, ErrInvalidSettings) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || !c.check(got) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

// TestStoredSettingsLoadLeniently: what is stored loads key by key: an
// unknown key (written by a newer node) or a value out of bounds is skipped
// and named, the other keys apply, and the platform's own values are never
// the project's fault.
func TestStoredSettingsLoadLeniently(t *testing.T) {
	t.Parallel()
	base := Defaults()
	base.JWTExpiry = 30 * time.Second // below what a project may set, but the platform's choice
	got, skipped, err := base.withProjectSettings([]byte(`{"disable_signup":true,"otp_length":99,"newer_key":1}`), false)
	if err != nil || !got.DisableSignup || got.OTPLength != base.OTPLength || got.JWTExpiry != 30*time.Second || len(skipped) != 1 {
		t.Fatalf("lenient load: %+v, skipped %v, %v", got, skipped, err)
	}
	if _, _, err := base.withProjectSettings([]byte(`{"disable_signup":true}`), true); err != nil {
		t.Fatalf("a valid override refused over the platform's own values: %v", err)
	}
}

func TestMergePatch(t *testing.T) {
	t.Parallel()
	got, err := mergePatch([]byte(`{"a":1,"b":2}`), []byte(`{"b":null,"c":3}`))
	if err != nil || string(got) != `{"a":1,"c":3}` {
		t.Fatalf("merge = %s, %v", got, err)
	}
	if _, err := mergePatch([]byte(`{}`), []byte(`[]`)); !errors.Is(err, ErrInvalidSettings) {
		t.Fatalf("a non-object patch: %v", err)
	}
}
