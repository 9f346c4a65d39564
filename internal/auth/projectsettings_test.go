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
		{"not an object", `[1]`, nil, "must be a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := base.withProjectSettings([]byte(c.overrides))
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
