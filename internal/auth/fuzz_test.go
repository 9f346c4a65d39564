package auth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, canon string
		ok        bool
	}{
		{"rest:read:public.todos", "rest:read:public.todos", true},
		{"rest:write:*", "rest:write:*", true},
		{"rest:read:todos", "rest:read:public.todos", true},
		{"rest:read:app.*", "rest:read:app.*", true},
		{"auth:admin", "auth:admin:*", true},
		{"*:*", "*:*:*", true},
		{"rest", "", false},
		{"rest:fly:x", "", false},
		{"REST:read", "", false},
		{"rest:read:", "", false},
		{"rest:read:a.b.c", "", false},
		{"rest:read:bad name", "", false},
	}
	for _, tt := range tests {
		sc, err := ParseScope(tt.in)
		if (err == nil) != tt.ok || (tt.ok && sc.String() != tt.canon) {
			t.Errorf("ParseScope(%q) = %v, %v; want %q ok=%v", tt.in, sc, err, tt.canon, tt.ok)
		}
	}
}

// FuzzParseScope: parsing never panics, and a parsed scope's canonical form
// parses to the same scope.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"rest:read:public.todos", "rest:write:*", "auth:admin", "*:*:*", "a:b:c.d.e", "rest:read:", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(sc.String())
		if err != nil || again != sc {
			t.Fatalf("%q → %q → %v, %v", s, sc.String(), again, err)
		}
	})
}

// FuzzParseJWK: decoding any JSON as a private JWK never panics.
func FuzzParseJWK(f *testing.F) {
	f.Add(`{"kty":"EC","crv":"P-256","d":"AAAA"}`)
	f.Add(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB","p":"Aw","q":"Bw"}`)
	f.Add(`{"kty":"oct"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var j jwk
		if json.Unmarshal([]byte(s), &j) != nil {
			return
		}
		_, _ = parseJWK(j)
	})
}

// FuzzVerifyJWT: verification never panics and never accepts a token that
// is not signed with the project's secret.
func FuzzVerifyJWT(f *testing.F) {
	secret := []byte("fuzz-secret-fuzz-secret-fuzz-secret!")
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": "anon", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(secret)
	f.Add(good)
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(good + ".x")
	s := &Service{now: time.Now}
	p := &project{secret: secret, keys: &keyring{secret: secret, alg: "HS256", keys: map[string]*signingKey{}}}
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, err := s.verifyJWT(p, tok)
		if err == nil && tok != good {
			// Accepted: it must verify with golang-jwt too.
			if _, perr := jwt.Parse(tok, func(*jwt.Token) (any, error) { return secret, nil }, jwt.WithValidMethods([]string{"HS256"})); perr != nil {
				t.Fatalf("accepted %q that golang-jwt rejects: %v", tok, perr)
			}
		}
	})
}
