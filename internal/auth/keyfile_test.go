package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
)

// testJWK is a private JWK as the Supabase CLI writes it (`supabase gen
// signing-key`): key_ops sign and verify, ext true.
func testJWK(t testing.TB, alg, kid string, ops ...string) (map[string]any, *signingKey) {
	t.Helper()
	var sk *signingKey
	switch alg {
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sk = &signingKey{kid: kid, alg: alg, priv: k, pub: &k.PublicKey}
	default:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		sk = &signingKey{kid: kid, alg: alg, priv: k, pub: &k.PublicKey}
	}
	j, err := privateJWK(sk)
	if err != nil {
		t.Fatal(err)
	}
	j["ext"] = true
	delete(j, "key_ops")
	if ops != nil {
		j["key_ops"] = ops
	}
	return j, sk
}

func writeKeys(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signing_keys.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func publicOnly(j map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range j {
		switch k {
		case "d", "p", "q":
		default:
			out[k] = v
		}
	}
	out["key_ops"] = []string{"verify"}
	return out
}

// TestSigningKeysFormats: the Supabase CLI's JSON array of JWKs and a JWK
// Set both load; the key marked sign signs; a public-only key verifies.
func TestSigningKeysFormats(t *testing.T) {
	t.Parallel()
	old, oldKey := testJWK(t, "RS256", "old-rsa", "verify")
	signer, _ := testJWK(t, "ES256", "cli-es256", "sign", "verify")
	plain, _ := testJWK(t, "ES256", "set-es256")
	tests := []struct {
		name, alg, wantKid string
		file               any
	}{
		{"cli array, signer second", "ES256", "cli-es256", []any{publicOnly(old), signer}},
		{"cli array, inline", "ES256", "cli-es256", []any{signer}},
		{"jwk set without key_ops", "ES256", "set-es256", map[string]any{"keys": []any{plain, publicOnly(old)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) {
				c.JWTAlgorithm = tt.alg
				if strings.Contains(tt.name, "inline") {
					b, _ := json.Marshal(tt.file)
					c.SigningKeys = string(b)
				} else {
					c.SigningKeysPath = writeKeys(t, tt.file)
				}
			})
			s := e.signUp(t, "keys@example.com", "password1")
			if h := headerOf(t, s.str("access_token")); h["kid"] != tt.wantKid || h["alg"] != tt.alg {
				t.Fatalf("header = %v, want kid %s", h, tt.wantKid)
			}
			a := e.svc.Authenticator("")
			if _, err := a.Authenticate(t.Context(), "default", gate.Credentials{Bearer: s.str("access_token")}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tt.name, "inline") {
				// The public-only key verifies what its private part signed.
				tok := signWith(t, oldKey, jwt.MapClaims{"role": "anon", "exp": time.Now().Add(time.Hour).Unix()})
				if _, err := a.Authenticate(t.Context(), "default", gate.Credentials{Bearer: tok}); err != nil {
					t.Fatalf("token of the verify-only key: %v", err)
				}
			}
			jwks := e.callKey(t, "GET", "/.well-known/jwks.json", "", "", nil).want(t, 200, "")
			if strings.Contains(string(jwks.raw), `"d"`) {
				t.Fatalf("jwks shows a private part: %s", jwks.raw)
			}
		})
	}
}

func signWith(t *testing.T, k *signingKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBadAuthSettingsStopStart: a bad keys file or setting fails Start
// (and so `mobo serve`) with its reason; no request is ever served.
func TestBadAuthSettingsStopStart(t *testing.T) {
	t.Parallel()
	es, _ := testJWK(t, "ES256", "es", "sign", "verify")
	es2, _ := testJWK(t, "ES256", "es2", "sign")
	rs, _ := testJWK(t, "RS256", "rs")
	noKid, _ := testJWK(t, "ES256", "")
	delete(noKid, "kid")
	wrongAlg, _ := testJWK(t, "ES256", "wrong")
	wrongAlg["alg"] = "RS256"
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"missing file", func(c *Config) { c.SigningKeysPath = filepath.Join(dir, "nope.json") }, "no such file"},
		{"not json", func(c *Config) { c.SigningKeysPath = file("bad.json", "{not json") }, "decoding the JWK Set"},
		{"a single jwk", func(c *Config) { c.SigningKeysPath = writeKeys(t, es) }, `without "keys"`},
		{"empty array", func(c *Config) { c.SigningKeysPath = file("empty.json", "[]") }, "no keys"},
		{"two signers", func(c *Config) { c.SigningKeysPath = writeKeys(t, []any{es, es2}) }, "only one key may sign"},
		{"no kid", func(c *Config) { c.SigningKeysPath = writeKeys(t, []any{noKid}) }, "key 0: no kid"},
		{"duplicate kid", func(c *Config) { c.SigningKeysPath = writeKeys(t, []any{es, es}) }, "appears twice"},
		{"alg of another type", func(c *Config) { c.SigningKeysPath = writeKeys(t, []any{wrongAlg}) }, "alg RS256 does not fit kty EC, which signs ES256"},
		{"signer of another alg", func(c *Config) {
			c.JWTAlgorithm = "ES256"
			c.SigningKeysPath = writeKeys(t, []any{rs})
		}, `the signing key "rs" is RS256, auth.jwt_algorithm is ES256`},
		{"public keys only", func(c *Config) {
			c.JWTAlgorithm = "RS256"
			c.SigningKeysPath = writeKeys(t, []any{publicOnly(rs)})
		}, "no private key to sign RS256 tokens with"},
		{"both path and inline", func(c *Config) { c.SigningKeysPath, c.SigningKeys = "x", "[]" }, "set one of them"},
		{"inline garbage", func(c *Config) { c.SigningKeys = "nope" }, "auth.signing_keys: want a JSON array of JWKs or a JWK Set"},
		{"bad algorithm", func(c *Config) { c.JWTAlgorithm = "none" }, `auth.jwt_algorithm "none"`},
		{"bad site url", func(c *Config) { c.SiteURL = "not a url" }, "auth.site_url"},
		{"bad external url", func(c *Config) { c.ExternalURL = "ftp://x" }, "auth.external_url"},
		{"negative expiry", func(c *Config) { c.JWTExpiry = -time.Hour }, "auth.jwt_expiry"},
		{"short password", func(c *Config) { c.PasswordMinLength = 3 }, "auth.password_min_length 3"},
		{"test otp not e164", func(c *Config) { c.SMS.TestOTP = map[string]string{"+1 555 0100": "123456"} }, "auth.sms.test_otp"},
		{"test otp code", func(c *Config) { c.SMS.TestOTP = map[string]string{"15550100000": "12ab"} }, "4 to 10 digits"},
	}
	log := slog.New(slog.DiscardHandler)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			tt.mutate(&cfg)
			// No tenants and no database: the check comes before either is used.
			err := New(cfg, nil, nil, log).Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
