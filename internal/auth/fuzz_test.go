package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

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
	s := &Service{now: time.Now, caches: newCaches()}
	f.Cleanup(s.caches.close)
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

// FuzzParseKeySet: decoding any bytes as a keys file never panics, and a
// set it accepts signs, if at all, with a private key it holds.
func FuzzParseKeySet(f *testing.F) {
	f.Add(`[{"kty":"EC","kid":"a","crv":"P-256","d":"AAAA","key_ops":["sign"]}]`)
	f.Add(`{"keys":[{"kty":"RSA","kid":"b","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`[{"kty":"EC","kid":"c","crv":"P-256","x":"AA","y":"AA"}]`)
	f.Add(`{"keys":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		ks, err := parseKeySet([]byte(s))
		if err != nil {
			return
		}
		if ks.current != "" && ks.byKid(ks.current).priv == nil {
			t.Fatalf("signing key %q has no private part", ks.current)
		}
	})
}

// FuzzIDTokenGrant: with no provider enabled, any id_token request (the
// token's payload is read unverified for its issuer) is refused with a
// client error, never accepted, never a panic.
func FuzzIDTokenGrant(f *testing.F) {
	f.Add("azure", "", "x.eyJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5jb20vdCJ9.y")
	f.Add("apple", "", "a.b.c")
	f.Add("", "https://accounts.google.com", "t")
	f.Fuzz(func(t *testing.T, provider, issuer, tok string) {
		err := idTokenGrant(idTokenBody{IDToken: tok, Provider: provider, Issuer: issuer, ClientID: "c"})
		var st interface{ HTTPStatus() int }
		if !errors.As(err, &st) || st.HTTPStatus() >= 500 {
			t.Fatalf("id_token grant: %v", err)
		}
	})
}

// FuzzNormalizePhone: a phone number is accepted only as E.164 digits (at
// most 15, no leading 0), whatever else it was.
func FuzzNormalizePhone(f *testing.F) {
	f.Add("+1 555 010 9999")
	f.Add("(555) 010-9999")
	f.Add("+０１２３")
	f.Add("+ 1")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := normalizePhone(s)
		if err != nil {
			return
		}
		if len(p) < 2 || len(p) > 15 || p[0] == '0' || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("normalizePhone(%q) = %q", s, p)
		}
	})
}
