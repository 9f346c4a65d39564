package auth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/magflock/mobo/internal/gate"
)

// A Supabase-shaped access token, as the REST API sees on every request.
func benchToken(b *testing.B, secret []byte) string {
	b.Helper()
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "http://127.0.0.1:8000/auth/v1", "aud": "authenticated", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"sub": "6f1c1b7e-3f55-4a1e-9d1b-2f0f9c6b1a11", "email": "ada@example.com", "phone": "",
		"app_metadata":  map[string]any{"provider": "email", "providers": []string{"email"}, "roles": []string{"editor"}},
		"user_metadata": map[string]any{"name": "Ada"}, "role": "authenticated", "aal": "aal1",
		"amr":        []map[string]any{{"method": "password", "timestamp": now.Unix()}},
		"session_id": "0c8d5f5e-7f7a-4b8e-9a43-56f1f0a3f2d9", "is_anonymous": false,
	}).SignedString(secret)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// BenchmarkVerifyHS256 is Authenticator.Authenticate on a user token: the
// work on every API request. Run with -cpu 1 for the one-core figure.
func BenchmarkVerifyHS256(b *testing.B) {
	secret := []byte("bench-secret-bench-secret-bench-secret!!")
	s, _ := benchService(b, secret)
	a := s.Authenticator("anon")
	c := gate.Credentials{Bearer: benchToken(b, secret)}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, "default", c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHS256Cold is what the verified-token cache saves: the
// verification itself, HMAC check and claims decoding, at every call.
func BenchmarkVerifyHS256Cold(b *testing.B) {
	secret := []byte("bench-secret-bench-secret-bench-secret!!")
	s, p := benchService(b, secret)
	tok := benchToken(b, secret)
	b.ReportAllocs()
	for b.Loop() {
		claims, payload, err := s.verifyJWT(p, tok)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := principalFromClaims(claims, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// benchService is a service with project "default" in memory.
func benchService(b *testing.B, secret []byte) (*Service, *project) {
	b.Helper()
	s := &Service{now: time.Now, projects: map[string]*project{}, caches: newCaches()}
	b.Cleanup(s.caches.close)
	p := &project{ref: "default", secret: secret, keys: &keyring{secret: secret, alg: "HS256"}}
	p.renew()
	s.projects["default"] = p
	return s, p
}

// BenchmarkBaselineJWTParse is golang-jwt's own parse of the same token:
// what verification costs with the library alone.
func BenchmarkBaselineJWTParse(b *testing.B) {
	secret := []byte("bench-secret-bench-secret-bench-secret!!")
	tok := benchToken(b, secret)
	keyFn := func(*jwt.Token) (any, error) { return secret, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwt.ParseWithClaims(tok, jwt.MapClaims{}, keyFn, jwt.WithValidMethods([]string{"HS256"})); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEnv is a service with limits off, its handler called in process.
func benchEnv(b *testing.B, cost int) (*env, http.Handler) {
	b.Helper()
	e := newEnvTB(b, func(c *Config) {
		c.RateLimit.Disabled = true
		c.BcryptCost = cost
	})
	return e, e.svc.Handler()
}

func serve(b *testing.B, h http.Handler, e *env, path string, body any) map[string]any {
	buf, _ := json.Marshal(body)
	req := httptest.NewRequestWithContext(b.Context(), "POST", "/auth/v1"+path, bytes.NewReader(buf))
	req.Header.Set("apikey", e.anon)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.Bytes())
	}
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return out
}

// BenchmarkRefreshGrant is POST /token?grant_type=refresh_token, each
// iteration rotating the token the previous one got.
func BenchmarkRefreshGrant(b *testing.B) {
	e, h := benchEnv(b, bcrypt.MinCost)
	rt := serve(b, h, e, "/signup", map[string]any{"email": "bench@example.com", "password": "password1"})["refresh_token"].(string)
	for b.Loop() {
		rt = serve(b, h, e, "/token?grant_type=refresh_token", map[string]any{"refresh_token": rt})["refresh_token"].(string)
	}
}

// BenchmarkPasswordSignIn is POST /token?grant_type=password at the
// default bcrypt cost; compare with BenchmarkBaselineBcrypt.
func BenchmarkPasswordSignIn(b *testing.B) {
	e, h := benchEnv(b, bcrypt.DefaultCost)
	serve(b, h, e, "/signup", map[string]any{"email": "bench@example.com", "password": "password1"})
	for b.Loop() {
		serve(b, h, e, "/token?grant_type=password", map[string]any{"email": "bench@example.com", "password": "password1"})
	}
}

// BenchmarkBaselineBcrypt is bcrypt.CompareHashAndPassword alone at the same cost.
func BenchmarkBaselineBcrypt(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte("password1"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := bcrypt.CompareHashAndPassword(h, []byte("password1")); err != nil {
			b.Fatal(err)
		}
	}
}
