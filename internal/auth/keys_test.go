package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/pgcode"
)

// onePool serves the test database's pool for every project.
type onePool struct{ pool *pgxpool.Pool }

func (p onePool) Pool(context.Context, string) (*pgxpool.Pool, error) { return p.pool, nil }

func TestScopedAPIKeys(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, nil, WithClock(clk.now))
	ctx := t.Context()
	a := e.svc.Authenticator("")
	gt := gate.New(gate.Options{Authenticator: a, Roles: e.svc.Authorizer(), Pools: onePool{e.db.Pool}})

	created := e.callKey(t, "POST", "/admin/keys", e.service, e.service, map[string]any{
		"name": "reporting", "scopes": []string{"rest:read:public.todos", "rest:write:reports"}, "expires_in": "1h",
	}).want(t, 201, "")
	key := created.str("key")
	id := created.body["api_key"].(map[string]any)["id"].(string)
	if len(key) < 40 || key[:len(apiKeyPrefix)] != apiKeyPrefix {
		t.Fatalf("key %q", key)
	}
	var stored string
	if err := e.db.Pool.QueryRow(ctx, `select key_hash from auth.api_keys where id = $1`, id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == key || stored != hashKey(key) {
		t.Fatal("the key is not stored hashed")
	}
	list := e.callKey(t, "GET", "/admin/keys", e.service, e.service, nil).want(t, 200, "")
	if string(list.raw) == "" || json.Valid(list.raw) && containsStr(string(list.raw), key) {
		t.Fatal("the list shows the secret")
	}

	p, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: key, RemoteIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != id || p.Role != "service_role" || len(p.Scopes) != 2 {
		t.Fatalf("principal = %+v", p)
	}
	tests := []struct {
		name string
		act  gate.Action
		ok   bool
	}{
		{"read granted table", gate.Action{API: "rest", Schema: "public", Relation: "todos", Op: gate.OpRead}, true},
		{"write not granted", gate.Action{API: "rest", Schema: "public", Relation: "todos", Op: gate.OpWrite}, false},
		{"a schema-less scope is in public", gate.Action{API: "rest", Schema: "public", Relation: "reports", Op: gate.OpWrite}, true},
		{"other table", gate.Action{API: "rest", Schema: "public", Relation: "secrets", Op: gate.OpRead}, false},
		{"other api", gate.Action{API: "graphql", Schema: "public", Relation: "todos", Op: gate.OpRead}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gt.Authorize(ctx, "default", p, tt.act)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, gate.ErrForbidden)) {
				t.Fatalf("Authorize = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	// A key with auth:admin scope reaches the admin API; this one does not.
	e.callKey(t, "GET", "/admin/users", key, key, nil).want(t, 403, "not_admin")
	adminKey := e.callKey(t, "POST", "/admin/keys", e.service, e.service, map[string]any{"scopes": []string{"auth:admin"}}).want(t, 201, "").str("key")
	e.callKey(t, "GET", "/admin/users", adminKey, adminKey, nil).want(t, 200, "")

	// Revocation takes effect on the next request, cache or not.
	e.callKey(t, "DELETE", "/admin/keys/"+id, e.service, e.service, nil).want(t, 204, "")
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: key}); !errors.Is(err, gate.ErrInvalidToken) {
		t.Fatalf("revoked key: %v", err)
	}
	e.callKey(t, "DELETE", "/admin/keys/"+id+"0", e.service, e.service, nil).want(t, 404, "api_key_not_found")

	// Expiry and the IP allow-list.
	ipKey, secret, err := e.svc.CreateKey(ctx, "default", KeySpec{Scopes: []string{"rest:*"}, AllowedIPs: []string{"10.0.0.0/8"}})
	if err != nil || ipKey.AllowedIPs[0] != "10.0.0.0/8" {
		t.Fatal(ipKey, err)
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: secret, RemoteIP: "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: secret, RemoteIP: "192.168.1.1"}); !errors.Is(err, gate.ErrInvalidToken) {
		t.Fatalf("from outside the allow-list: %v", err)
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: secret}); !errors.Is(err, gate.ErrInvalidToken) {
		t.Fatalf("without an address: %v", err)
	}
	clk.add(2 * time.Hour)
	if _, hit := getFresh(e.svc.caches.keys, "x", clk.now()); hit {
		t.Fatal("cache hit on unknown key")
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: created.str("key")}); err == nil {
		t.Fatal("expired and revoked key accepted")
	}
	if _, _, err := e.svc.CreateKey(ctx, "default", KeySpec{Scopes: []string{"rest:fly:*"}}); !errors.Is(err, ErrBadScope) {
		t.Fatalf("bad scope: %v", err)
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{APIKey: apiKeyPrefix + "nope"}); !errors.Is(err, gate.ErrInvalidToken) {
		t.Fatalf("unknown key: %v", err)
	}
}

func containsStr(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestRolesAuthorizer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := httpx.WithProject(t.Context(), "default")
	adm := func(method, path string, body any) resp {
		return e.callKey(t, method, path, e.service, e.service, body)
	}
	adm("POST", "/admin/roles", map[string]any{"name": "viewer", "permissions": []map[string]any{{"resource": "public.todos", "actions": []string{"read"}}}}).want(t, 200, "")
	adm("POST", "/admin/roles", map[string]any{"name": "editor", "permissions": []map[string]any{{"resource": "public.*", "actions": []string{"read", "write"}}}}).want(t, 200, "")
	adm("POST", "/admin/roles", map[string]any{"name": "Bad Name"}).want(t, 400, "validation_failed")
	adm("POST", "/admin/roles", map[string]any{"name": "x", "permissions": []map[string]any{{"resource": "t", "actions": []string{"fly"}}}}).want(t, 400, "validation_failed")

	s := e.signUp(t, "viewer@example.com", "password1")
	uid := s.user()["id"].(string)
	adm("PUT", "/admin/users/"+uid+"/roles", map[string]any{"roles": []string{"viewer"}}).want(t, 200, "")
	adm("PUT", "/admin/users/"+uid+"/roles", map[string]any{"roles": []string{"ghost"}}).want(t, 400, "validation_failed")
	s = e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "viewer@example.com", "password": "password1"}).want(t, 200, "")
	p, err := e.svc.Authenticator("").Authenticate(ctx, "default", gate.Credentials{Bearer: s.str("access_token")})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 1 || p.Roles[0] != "viewer" {
		t.Fatalf("roles = %v", p.Roles)
	}
	gt := gate.New(gate.Options{Authenticator: e.svc.Authenticator(""), Roles: e.svc.Authorizer(), Pools: onePool{e.db.Pool}})
	tests := []struct {
		roles []string
		rel   string
		op    gate.Op
		ok    bool
	}{
		{[]string{"viewer"}, "todos", gate.OpRead, true},
		{[]string{"viewer"}, "todos", gate.OpWrite, false},
		{[]string{"viewer"}, "notes", gate.OpRead, false},
		{[]string{"editor"}, "notes", gate.OpWrite, true},
		{[]string{"editor"}, "notes", gate.OpDelete, false},
		{[]string{"ghost"}, "todos", gate.OpRead, false},
		{nil, "todos", gate.OpDelete, true}, // no roles: RLS decides
	}
	for _, tt := range tests {
		pr := *p
		pr.Roles = tt.roles
		_, err := gt.Authorize(ctx, "default", &pr, gate.Action{API: "rest", Schema: "public", Relation: tt.rel, Op: tt.op})
		if tt.ok != (err == nil) {
			t.Errorf("%v %s %s: %v, want ok=%v", tt.roles, tt.op, tt.rel, err, tt.ok)
		}
	}
	// Changing a role takes effect at once on this node.
	adm("POST", "/admin/roles", map[string]any{"name": "viewer", "permissions": []map[string]any{{"resource": "public.todos", "actions": []string{"read", "write"}}}}).want(t, 200, "")
	if _, err := gt.Authorize(ctx, "default", p, gate.Action{API: "rest", Schema: "public", Relation: "todos", Op: gate.OpWrite}); err != nil {
		t.Fatal(err)
	}
	list := adm("GET", "/admin/roles", nil).want(t, 200, "")
	if len(list.body["roles"].([]any)) != 2 {
		t.Fatalf("roles = %s", list.raw)
	}
}

// TestRLS runs SQL as the API does — one transaction under SET LOCAL ROLE
// with the verified claims — and checks that auth.uid() and auth.has_role()
// see the caller.
func TestRLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := t.Context()
	if _, err := e.db.Pool.Exec(ctx, `create table public.todos (id serial primary key, owner uuid not null, title text);
		alter table public.todos enable row level security;
		create policy own on public.todos using (owner = auth.uid());
		create policy editors on public.todos for select using (auth.has_role('editor'));`); err != nil {
		t.Fatal(err)
	}
	alice := e.signUp(t, "alice@example.com", "password1")
	bob := e.signUp(t, "bob@example.com", "password1")
	aliceID, bobID := alice.user()["id"].(string), bob.user()["id"].(string)
	if _, err := e.db.Pool.Exec(ctx, `insert into public.todos (owner, title) values ($1, 'a1'), ($1, 'a2'), ($2, 'b1')`, aliceID, bobID); err != nil {
		t.Fatal(err)
	}
	e.callKey(t, "PUT", "/admin/users/"+bobID, e.service, e.service, map[string]any{"app_metadata": map[string]any{"roles": []string{"editor"}}}).want(t, 200, "")
	bob = e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "bob@example.com", "password": "password1"}).want(t, 200, "")

	asUser := func(tok, query string) []string {
		t.Helper()
		p, err := e.svc.Authenticator("anon").Authenticate(ctx, "default", gate.Credentials{Bearer: tok})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		err = pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `select set_config('request.jwt.claims', $1, true)`, string(p.ClaimsJSON)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "set local role "+pgx.Identifier{p.Role}.Sanitize()); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, query)
			if err != nil {
				return err
			}
			out, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name, tok, query, want string
	}{
		{"alice sees her rows", alice.str("access_token"), `select title from public.todos order by title`, "[a1 a2]"},
		{"bob the editor sees all", bob.str("access_token"), `select title from public.todos order by title`, "[a1 a2 b1]"},
		{"no token: nothing", "", `select title from public.todos`, "[]"},
		{"alice reads her own auth.users row only", alice.str("access_token"), `select email from auth.users`, "[alice@example.com]"},
		{"has_role", bob.str("access_token"), `select auth.has_role('editor')::text`, "[true]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asUser(tt.tok, tt.query)
			if s := fmtList(got); s != tt.want {
				t.Fatalf("got %s, want %s", s, tt.want)
			}
		})
	}
	// anon may not read auth.users at all.
	err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `set local role anon`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `select id from auth.users`)
		return err
	})
	if !pgcode.Is(err, pgcode.InsufficientPrivilege) {
		t.Fatalf("anon reading auth.users: %v", err)
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestAsymmetricKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.JWTAlgorithm = "ES256" })
	ctx := t.Context()
	a := e.svc.Authenticator("")
	s := e.signUp(t, "es@example.com", "password1")
	tok1 := s.str("access_token")
	kid1 := headerOf(t, tok1)["kid"]
	if headerOf(t, tok1)["alg"] != "ES256" || kid1 == "" {
		t.Fatalf("header = %v", headerOf(t, tok1))
	}
	jwks := e.callKey(t, "GET", "/.well-known/jwks.json", "", "", nil).want(t, 200, "")
	if ks := jwks.body["keys"].([]any); len(ks) != 1 || ks[0].(map[string]any)["kid"] != kid1 || ks[0].(map[string]any)["d"] != nil {
		t.Fatalf("jwks = %s", jwks.raw)
	}
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{Bearer: tok1}); err != nil {
		t.Fatal(err)
	}
	// Rotate to RS256: new tokens use the new key, old ones stay valid.
	rot := e.callKey(t, "POST", "/admin/signing_keys/rotate", e.service, e.service, map[string]any{"algorithm": "RS256"}).want(t, 200, "")
	s2 := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "es@example.com", "password": "password1"}).want(t, 200, "")
	if h := headerOf(t, s2.str("access_token")); h["kid"] != rot.str("kid") || h["alg"] != "RS256" {
		t.Fatalf("after rotation header = %v", h)
	}
	for _, tok := range []string{tok1, s2.str("access_token"), e.service} {
		if _, err := a.Authenticate(ctx, "default", gate.Credentials{Bearer: tok}); err != nil {
			t.Fatalf("token after rotation: %v", err)
		}
	}
	if n := len(e.callKey(t, "GET", "/.well-known/jwks.json", "", "", nil).body["keys"].([]any)); n != 2 {
		t.Fatalf("jwks has %d keys after rotation", n)
	}
	// Tampering is caught.
	bad := tok1[:len(tok1)-4] + "AAAA"
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{Bearer: bad}); !errors.Is(err, gate.ErrInvalidToken) {
		t.Fatalf("tampered token: %v", err)
	}
}

func TestSigningKeysFile(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sk := &signingKey{kid: "file-key-1", alg: "RS256", priv: key, pub: &key.PublicKey}
	j, err := privateJWK(sk)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"keys": []any{j}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.JWTAlgorithm = "RS256"; c.SigningKeysPath = path })
	s := e.signUp(t, "file@example.com", "password1")
	if headerOf(t, s.str("access_token"))["kid"] != "file-key-1" {
		t.Fatal("token not signed by the file's key")
	}
	if _, err := e.svc.Authenticator("").Authenticate(context.Background(), "default", gate.Credentials{Bearer: s.str("access_token")}); err != nil {
		t.Fatal(err)
	}
}

func headerOf(t *testing.T, tok string) map[string]string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok[:indexOf(tok, ".")])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAuthenticatorTokens(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, func(c *Config) { c.JWTExpiry = time.Minute }, WithClock(clk.now))
	ctx := t.Context()
	s := e.signUp(t, "tok@example.com", "password1")
	a := e.svc.Authenticator("anon")
	tests := []struct {
		name string
		c    gate.Credentials
		role string
		err  error
	}{
		{"nothing: anonymous role", gate.Credentials{}, "anon", nil},
		{"anon key", gate.Credentials{APIKey: e.anon}, "anon", nil},
		{"bearer wins over apikey", gate.Credentials{APIKey: e.anon, Bearer: s.str("access_token")}, "authenticated", nil},
		{"service key", gate.Credentials{Bearer: e.service}, "service_role", nil},
		{"garbage", gate.Credentials{Bearer: "a.b.c"}, "", gate.ErrInvalidToken},
		{"alg none", gate.Credentials{Bearer: "eyJhbGciOiJub25lIn0.e30."}, "", gate.ErrInvalidToken},
		// Signed with the project's secret, but it would never expire.
		{"no exp", gate.Credentials{Bearer: signHS256(t, e.secret, jwt.MapClaims{"role": "service_role"})}, "", gate.ErrInvalidToken},
		{"exp not a number", gate.Credentials{Bearer: signHS256(t, e.secret, jwt.MapClaims{"role": "service_role", "exp": "never"})}, "", gate.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(ctx, "default", tt.c)
			if !errors.Is(err, tt.err) || (err == nil && p.Role != tt.role) {
				t.Fatalf("got %v, %v; want role %q err %v", p, err, tt.role, tt.err)
			}
			if err == nil && !json.Valid(p.ClaimsJSON) {
				t.Fatal("claims JSON invalid")
			}
		})
	}
	clk.add(2 * time.Minute)
	if _, err := a.Authenticate(ctx, "default", gate.Credentials{Bearer: s.str("access_token")}); !errors.Is(err, gate.ErrExpiredToken) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := a.Authenticate(ctx, "nope", gate.Credentials{Bearer: e.service}); err == nil {
		t.Fatal("unknown project accepted")
	}
}

func signHS256(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestInvalidUTF8Refused: a body that is not valid UTF-8 is refused (400
// bad_json), not stored with replacement characters.
func TestInvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	body := json.RawMessage("{\"email\":\"bad\xff\xfe@example.com\",\"password\":\"password1\"}")
	e.call(t, "POST", "/signup", "", body).want(t, 400, "bad_json")
	var n int
	if err := e.db.Pool.QueryRow(t.Context(), `select count(*) from auth.users where email like 'bad%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d users stored (%v)", n, err)
	}
}
