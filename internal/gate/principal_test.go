package gate

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secret = "0123456789abcdef0123456789abcdef"

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecretAuthenticator(t *testing.T) {
	t.Parallel()
	a := &SecretAuthenticator{Secret: func(string) (string, error) { return secret, nil }, AnonymousRole: "anon"}
	future := time.Now().Add(time.Hour).Unix()
	good := sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"role": "authenticated", "sub": "u1", "exp": future, "app_metadata": map[string]any{"roles": []any{"editor"}}})
	tests := []struct {
		name     string
		creds    Credentials
		wantRole string
		wantErr  error
	}{
		{"bearer wins over apikey", Credentials{APIKey: "garbage", Bearer: good}, "authenticated", nil},
		{"apikey alone", Credentials{APIKey: good}, "authenticated", nil},
		{"none is anonymous", Credentials{}, "anon", nil},
		{"expired", Credentials{Bearer: sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"role": "anon", "exp": time.Now().Add(-time.Hour).Unix()})}, "", ErrExpiredToken},
		{"forged", Credentials{Bearer: sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), jwt.MapClaims{"role": "service_role"})}, "", ErrInvalidToken},
		{"alg none", Credentials{Bearer: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"role": "service_role"})}, "", ErrInvalidToken},
		{"no role", Credentials{Bearer: sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "x", "exp": future})}, "", ErrInvalidToken},
		{"no exp: it would never expire", Credentials{Bearer: sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"role": "service_role"})}, "", ErrInvalidToken},
		{"malformed", Credentials{Bearer: "a.b.c"}, "", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(t.Context(), "default", tt.creds)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != tt.wantRole || len(p.ClaimsJSON) == 0 {
				t.Errorf("principal = %+v", p)
			}
		})
	}
	p, err := a.Authenticate(t.Context(), "default", Credentials{Bearer: good})
	if err != nil || p.Subject != "u1" || len(p.Roles) != 1 || p.Roles[0] != "editor" {
		t.Errorf("principal = %+v (%v)", p, err)
	}
	strict := &SecretAuthenticator{Secret: a.Secret}
	if _, err := strict.Authenticate(t.Context(), "default", Credentials{}); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no anonymous role: err = %v", err)
	}
}

func TestFromHeaders(t *testing.T) {
	t.Parallel()
	c := FromHeaders(" k ", "bearer  tok ")
	if c.APIKey != "k" || c.Bearer != "tok" {
		t.Errorf("got %+v", c)
	}
	if c := FromHeaders("", "Basic abc"); c.Bearer != "" {
		t.Errorf("basic auth taken as bearer: %+v", c)
	}
}
