package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claimsOf decodes a token's payload without verifying it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func amrMethods(c map[string]any) []string {
	var out []string
	for _, a := range c["amr"].([]any) {
		out = append(out, a.(map[string]any)["method"].(string))
	}
	return out
}

func TestSignUpSignInAndClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	s := e.signUp(t, "Ada@Example.com", "correct horse")
	if s.str("refresh_token") == "" || s.str("token_type") != "bearer" {
		t.Fatalf("signup session = %s", s.raw)
	}
	c := claimsOf(t, s.str("access_token"))
	for k, want := range map[string]any{"role": "authenticated", "aud": "authenticated", "email": "ada@example.com", "aal": "aal1", "is_anonymous": false} {
		if c[k] != want {
			t.Errorf("claim %s = %v, want %v", k, c[k], want)
		}
	}
	if c["sub"] != s.user()["id"] || c["session_id"] == "" || !strings.HasSuffix(c["iss"].(string), "/auth/v1") {
		t.Errorf("claims = %v", c)
	}
	if got := amrMethods(c); len(got) != 1 || got[0] != "password" {
		t.Errorf("amr = %v", got)
	}
	// The user's own token verifies with the project's secret, as REST verifies it.
	if _, err := jwt.Parse(s.str("access_token"), func(*jwt.Token) (any, error) { return []byte(e.secret), nil }); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, email, password string
		status                int
		code                  string
	}{
		{"right password", "ada@example.com", "correct horse", 200, ""},
		{"email in other case", "ADA@example.com", "correct horse", 200, ""},
		{"wrong password", "ada@example.com", "wrong horse", 400, "invalid_credentials"},
		{"unknown user", "bob@example.com", "correct horse", 400, "invalid_credentials"},
	}
	var failures []string
	for _, tt := range tests {
		r := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": tt.email, "password": tt.password}).want(t, tt.status, tt.code)
		if tt.status != 200 {
			failures = append(failures, string(r.raw))
		}
	}
	if failures[0] != failures[1] {
		t.Errorf("unknown user and wrong password answer differently: %s vs %s", failures[0], failures[1])
	}
	e.call(t, "POST", "/signup", "", map[string]any{"email": "ada@example.com", "password": "another one"}).want(t, 422, "user_already_exists")
	e.call(t, "POST", "/signup", "", map[string]any{"email": "not-an-email", "password": "another one"}).want(t, 400, "validation_failed")

	u := e.call(t, "GET", "/user", s.str("access_token"), nil).want(t, 200, "")
	if u.str("email") != "ada@example.com" || u.body["identities"].([]any)[0].(map[string]any)["provider"] != "email" {
		t.Fatalf("user = %s", u.raw)
	}
	e.call(t, "GET", "/user", "", nil).want(t, 401, "no_authorization")
	e.call(t, "GET", "/user", e.anon, nil).want(t, 403, "bad_jwt")
	e.callKey(t, "GET", "/settings", "", "", nil).want(t, 401, "no_api_key")
	set := e.call(t, "GET", "/settings", "", nil).want(t, 200, "")
	if set.body["mailer_autoconfirm"] != true {
		t.Errorf("settings = %s", set.raw)
	}

	var n int
	if err := e.db.Pool.QueryRow(t.Context(), `select count(*) from auth.audit_log_entries where payload->>'action' = 'login'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("audit log has %d logins, want 3", n)
	}
	var hash string
	if err := e.db.Pool.QueryRow(t.Context(), `select encrypted_password from auth.users where email = 'ada@example.com'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2a$04$") {
		t.Errorf("hash %q is not a GoTrue-style bcrypt hash at cost 4", hash)
	}
}

func TestPasswordStrength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.PasswordMinLength = 8
		c.PasswordRequiredCharacters = []string{"0123456789"}
	})
	tests := []struct {
		password string
		status   int
		reasons  string
	}{
		{"short1", 422, "length"},
		{"longenough", 422, "characters"},
		{"short", 422, "length,characters"},
		{"longenough1", 200, ""},
	}
	for i, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			r := e.call(t, "POST", "/signup", "", map[string]any{"email": "u" + itoa(i) + "@example.com", "password": tt.password}).want(t, tt.status, "")
			if tt.status == 422 {
				var got []string
				for _, x := range r.body["weak_password"].(map[string]any)["reasons"].([]any) {
					got = append(got, x.(string))
				}
				if strings.Join(got, ",") != tt.reasons || r.str("error_code") != "weak_password" {
					t.Fatalf("reasons %v, want %s: %s", got, tt.reasons, r.raw)
				}
			}
		})
	}
}

// clock is a settable clock for TTL and interval logic.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, nil, WithClock(clk.now))
	s := e.signUp(t, "rt@example.com", "password1")
	rt1 := s.str("refresh_token")

	r2 := e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": rt1}).want(t, 200, "")
	rt2 := r2.str("refresh_token")
	if rt2 == rt1 || rt2 == "" {
		t.Fatalf("refresh token did not rotate: %s", r2.raw)
	}
	if claimsOf(t, r2.str("access_token"))["session_id"] != claimsOf(t, s.str("access_token"))["session_id"] {
		t.Fatal("refresh changed the session")
	}
	// A retry of rt1 within the reuse interval gets the live token back.
	again := e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": rt1}).want(t, 200, "")
	if again.str("refresh_token") != rt2 {
		t.Fatalf("retry within the interval got %q, want %q", again.str("refresh_token"), rt2)
	}
	// After the interval, reuse of rt1 revokes the whole session.
	clk.add(11 * time.Second)
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": rt1}).want(t, 400, "refresh_token_already_used")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": rt2}).want(t, 400, "refresh_token_not_found")
	e.call(t, "GET", "/user", r2.str("access_token"), nil).want(t, 403, "session_not_found")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": "nope"}).want(t, 400, "refresh_token_not_found")
	// Another session of the same user is untouched.
	other := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "rt@example.com", "password": "password1"}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": other.str("refresh_token")}).want(t, 200, "")
}

func TestLogoutScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp(t, "out@example.com", "password1")
	signIn := func() resp {
		return e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "out@example.com", "password": "password1"}).want(t, 200, "")
	}
	a, b, c := signIn(), signIn(), signIn()
	e.call(t, "POST", "/logout?scope=others", a.str("access_token"), nil).want(t, 204, "")
	e.call(t, "GET", "/user", a.str("access_token"), nil).want(t, 200, "")
	e.call(t, "GET", "/user", b.str("access_token"), nil).want(t, 403, "session_not_found")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": c.str("refresh_token")}).want(t, 400, "refresh_token_not_found")
	e.call(t, "POST", "/logout?scope=local", a.str("access_token"), nil).want(t, 204, "")
	e.call(t, "GET", "/user", a.str("access_token"), nil).want(t, 403, "session_not_found")
	// The admin lists and ends sessions.
	uid := claimsOf(t, a.str("access_token"))["sub"].(string)
	g, h := signIn(), signIn()
	list := e.callKey(t, "GET", "/admin/users/"+uid+"/sessions", e.service, e.service, nil).want(t, 200, "")
	if n := len(list.body["sessions"].([]any)); n != 2 {
		t.Fatalf("%d sessions listed: %s", n, list.raw)
	}
	gsid := claimsOf(t, g.str("access_token"))["session_id"].(string)
	e.callKey(t, "DELETE", "/admin/users/"+uid+"/sessions/"+gsid, e.service, e.service, nil).want(t, 204, "")
	e.callKey(t, "DELETE", "/admin/users/"+uid+"/sessions/"+gsid, e.service, e.service, nil).want(t, 404, "session_not_found")
	e.call(t, "GET", "/user", g.str("access_token"), nil).want(t, 403, "session_not_found")
	e.call(t, "GET", "/user", h.str("access_token"), nil).want(t, 200, "")
	e.callKey(t, "DELETE", "/admin/users/"+uid+"/sessions", e.service, e.service, nil).want(t, 204, "")
	e.call(t, "GET", "/user", h.str("access_token"), nil).want(t, 403, "session_not_found")
	d, f := signIn(), signIn()
	e.call(t, "POST", "/logout", d.str("access_token"), nil).want(t, 204, "")
	e.call(t, "GET", "/user", f.str("access_token"), nil).want(t, 403, "session_not_found")
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.EnableConfirmations = true })
	// With confirmations on, create the user confirmed through the admin API.
	e.callKey(t, "POST", "/admin/users", e.service, e.service, map[string]any{"email": "upd@example.com", "password": "password1", "email_confirm": true}).want(t, 200, "")
	s := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "upd@example.com", "password": "password1"}).want(t, 200, "")
	tok := s.str("access_token")

	u := e.call(t, "PUT", "/user", tok, map[string]any{"data": map[string]any{"name": "Ada", "age": 36}}).want(t, 200, "")
	u = e.call(t, "PUT", "/user", tok, map[string]any{"data": map[string]any{"age": nil, "lang": "en"}}).want(t, 200, "")
	md := u.body["user_metadata"].(map[string]any)
	if md["name"] != "Ada" || md["lang"] != "en" || md["age"] != nil {
		t.Fatalf("user_metadata = %v", md)
	}
	e.call(t, "PUT", "/user", tok, map[string]any{"password": "password1"}).want(t, 422, "same_password")
	e.call(t, "PUT", "/user", tok, map[string]any{"password": "password2"}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "upd@example.com", "password": "password2"}).want(t, 200, "")

	// An email change waits for the new address to confirm.
	u = e.call(t, "PUT", "/user", tok, map[string]any{"email": "new@example.com"}).want(t, 200, "")
	if u.str("email") != "upd@example.com" || u.str("new_email") != "new@example.com" {
		t.Fatalf("after email change request: %s", u.raw)
	}
	m := e.sink.wait(t, "new@example.com", 1)
	v := e.call(t, "POST", "/verify", "", map[string]any{"type": "email_change", "email": "new@example.com", "token": m.code(t)}).want(t, 200, "")
	if v.user()["email"] != "new@example.com" {
		t.Fatalf("after verify: %s", v.raw)
	}
}

func TestConfirmationRecoveryMagicLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.EnableConfirmations = true })
	// Sign-up without a session; sign-in waits for the confirmation.
	r := e.call(t, "POST", "/signup?redirect_to="+url.QueryEscape("http://localhost:3000/welcome"), "", map[string]any{"email": "conf@example.com", "password": "password1"}).want(t, 200, "")
	if r.body["access_token"] != nil || r.str("confirmation_sent_at") == "" {
		t.Fatalf("signup = %s", r.raw)
	}
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "conf@example.com", "password": "password1"}).want(t, 400, "email_not_confirmed")
	// A second sign-up for a confirmed address does not say so; here it is
	// unconfirmed, so the mail goes again.
	link := e.sink.wait(t, "conf@example.com", 1).link(t)
	lr := e.callKey(t, "GET", strings.SplitN(link, "/auth/v1", 2)[1], "", "", nil).want(t, 303, "")
	loc, err := url.Parse(lr.header.Get("Location"))
	if err != nil || loc.Host != "localhost:3000" || loc.Path != "/welcome" {
		t.Fatalf("redirect to %q", lr.header.Get("Location"))
	}
	frag, _ := url.ParseQuery(loc.Fragment)
	if frag.Get("access_token") == "" || frag.Get("type") != "signup" {
		t.Fatalf("fragment %q", loc.Fragment)
	}
	// The link is single-use.
	lr = e.callKey(t, "GET", strings.SplitN(link, "/auth/v1", 2)[1], "", "", nil).want(t, 303, "")
	if !strings.Contains(lr.header.Get("Location"), "error_code=otp_expired") {
		t.Fatalf("second use redirected to %q", lr.header.Get("Location"))
	}
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "conf@example.com", "password": "password1"}).want(t, 200, "")
	repeat := e.call(t, "POST", "/signup", "", map[string]any{"email": "conf@example.com", "password": "password1"}).want(t, 200, "")
	if repeat.body["access_token"] != nil || repeat.str("id") == "" {
		t.Fatalf("repeated signup = %s", repeat.raw)
	}

	// Recovery: a code by mail; unknown addresses answer the same and get nothing.
	e.call(t, "POST", "/recover", "", map[string]any{"email": "conf@example.com"}).want(t, 200, "")
	e.call(t, "POST", "/recover", "", map[string]any{"email": "nobody@example.com"}).want(t, 200, "")
	code := e.sink.wait(t, "conf@example.com", 2).code(t)
	e.call(t, "POST", "/verify", "", map[string]any{"type": "recovery", "email": "conf@example.com", "token": "000000"}).want(t, 403, "otp_expired")
	v := e.call(t, "POST", "/verify", "", map[string]any{"type": "recovery", "email": "conf@example.com", "token": code}).want(t, 200, "")
	if got := amrMethods(claimsOf(t, v.str("access_token"))); got[0] != "recovery" {
		t.Errorf("amr = %v", got)
	}
	e.call(t, "PUT", "/user", v.str("access_token"), map[string]any{"password": "password9"}).want(t, 200, "")

	// Magic link / email OTP for an existing user.
	e.call(t, "POST", "/otp", "", map[string]any{"email": "conf@example.com", "create_user": false}).want(t, 200, "")
	m := e.sink.wait(t, "conf@example.com", 3)
	if !strings.Contains(m.Data, "Magic Link") {
		t.Fatalf("otp mail = %q", m.Data)
	}
	e.call(t, "POST", "/verify", "", map[string]any{"type": "email", "email": "conf@example.com", "token": m.code(t)}).want(t, 200, "")
	e.call(t, "POST", "/otp", "", map[string]any{"email": "new-otp@example.com", "create_user": false}).want(t, 422, "otp_disabled")
	// OTP sign-up for a new address confirms it on verify.
	e.call(t, "POST", "/otp", "", map[string]any{"email": "new-otp@example.com"}).want(t, 200, "")
	v = e.call(t, "POST", "/verify", "", map[string]any{"type": "email", "email": "new-otp@example.com", "token": e.sink.wait(t, "new-otp@example.com", 1).code(t)}).want(t, 200, "")
	if v.user()["email_confirmed_at"] == nil {
		t.Fatalf("otp sign-up not confirmed: %s", v.raw)
	}
	// Resend and reauthenticate send mail too.
	e.call(t, "POST", "/signup", "", map[string]any{"email": "late@example.com", "password": "password1"}).want(t, 200, "")
	e.call(t, "POST", "/resend", "", map[string]any{"type": "signup", "email": "late@example.com"}).want(t, 200, "")
	e.sink.wait(t, "late@example.com", 2)
	e.call(t, "GET", "/reauthenticate", v.str("access_token"), nil).want(t, 200, "")
	nonce := e.sink.wait(t, "new-otp@example.com", 2).code(t)
	if len(nonce) != 6 {
		t.Fatalf("reauthentication nonce %q", nonce)
	}
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.EnableConfirmations = true })
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	e.call(t, "POST", "/signup?redirect_to="+url.QueryEscape("http://localhost:3000/cb"), "", map[string]any{
		"email": "pkce@example.com", "password": "password1", "code_challenge": challenge, "code_challenge_method": "s256",
	}).want(t, 200, "")
	link := e.sink.wait(t, "pkce@example.com", 1).link(t)
	lr := e.callKey(t, "GET", strings.SplitN(link, "/auth/v1", 2)[1], "", "", nil).want(t, 303, "")
	loc, _ := url.Parse(lr.header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" || loc.Fragment != "" {
		t.Fatalf("PKCE redirect %q", lr.header.Get("Location"))
	}
	e.call(t, "POST", "/token?grant_type=pkce", "", map[string]any{"auth_code": code, "code_verifier": strings.Repeat("w", 50)}).want(t, 403, "bad_code_verifier")
	// A failed exchange consumes the code, as it should: start again with recover.
	e.call(t, "POST", "/recover", "", map[string]any{"email": "pkce@example.com", "code_challenge": challenge, "code_challenge_method": "s256"}).want(t, 200, "")
	link = e.sink.wait(t, "pkce@example.com", 2).link(t)
	lr = e.callKey(t, "GET", strings.SplitN(link, "/auth/v1", 2)[1], "", "", nil).want(t, 303, "")
	loc, _ = url.Parse(lr.header.Get("Location"))
	s := e.call(t, "POST", "/token?grant_type=pkce", "", map[string]any{"auth_code": loc.Query().Get("code"), "code_verifier": verifier}).want(t, 200, "")
	if s.user()["email"] != "pkce@example.com" {
		t.Fatalf("pkce session = %s", s.raw)
	}
	e.call(t, "POST", "/token?grant_type=pkce", "", map[string]any{"auth_code": loc.Query().Get("code"), "code_verifier": verifier}).want(t, 404, "flow_state_not_found")
}

func TestAnonymousSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	s := e.call(t, "POST", "/signup", "", map[string]any{}).want(t, 200, "")
	c := claimsOf(t, s.str("access_token"))
	if c["is_anonymous"] != true || c["role"] != "authenticated" || amrMethods(c)[0] != "anonymous" {
		t.Fatalf("anonymous claims = %v", c)
	}
	u := e.call(t, "PUT", "/user", s.str("access_token"), map[string]any{"email": "anon@example.com"}).want(t, 200, "")
	if u.body["is_anonymous"] != false || u.str("email") != "anon@example.com" {
		t.Fatalf("converted user = %s", u.raw)
	}
	e.call(t, "PUT", "/user", s.str("access_token"), map[string]any{"password": "password1"}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "anon@example.com", "password": "password1"}).want(t, 200, "")

	off := newEnv(t, func(c *Config) { c.DisableAnonymous = true })
	off.call(t, "POST", "/signup", "", map[string]any{}).want(t, 422, "anonymous_provider_disabled")
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.RateLimit.SignInSignUps = 3
		c.RateLimit.EmailSent = 1
	})
	body := map[string]any{"email": "rl@example.com", "password": "wrong-pass"}
	for range 3 {
		e.call(t, "POST", "/token?grant_type=password", "", body).want(t, 400, "invalid_credentials")
	}
	limited := e.call(t, "POST", "/token?grant_type=password", "", body).want(t, 429, "over_request_rate_limit")
	// 3 per 5 minutes: the next token comes within 100 s.
	if ra, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || ra < 1 || ra > 100 {
		t.Errorf("Retry-After %q, want 1..100 seconds", limited.header.Get("Retry-After"))
	}
	e.call(t, "POST", "/recover", "", map[string]any{"email": "a@example.com"}).want(t, 200, "")
	if ra := e.call(t, "POST", "/recover", "", map[string]any{"email": "b@example.com"}).want(t, 429, "over_email_send_rate_limit").header.Get("Retry-After"); ra == "" {
		t.Error("an email rate limit without Retry-After")
	}

	// Per account: one address, many IPs would still be limited; here the
	// account limit is lower than the IP one.
	acc := newEnv(t, func(c *Config) { c.RateLimit.PerAccount = 2 })
	for range 2 {
		acc.call(t, "POST", "/token?grant_type=password", "", body).want(t, 400, "invalid_credentials")
	}
	acc.call(t, "POST", "/token?grant_type=password", "", body).want(t, 429, "over_request_rate_limit")
	acc.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "other@example.com", "password": "x"}).want(t, 400, "invalid_credentials")
}

func TestPhoneOTP(t *testing.T) {
	t.Parallel()
	sms := &captureSMS{}
	e := newEnv(t, func(c *Config) { c.SMS.TestOTP = map[string]string{"15550000001": "123456"} }, WithSMSSender(sms))
	// A test number: the fixed code, nothing sent.
	e.call(t, "POST", "/otp", "", map[string]any{"phone": "+1 555 000 0001"}).want(t, 200, "")
	e.call(t, "POST", "/verify", "", map[string]any{"type": "sms", "phone": "+15550000001", "token": "654321"}).want(t, 403, "otp_expired")
	s := e.call(t, "POST", "/verify", "", map[string]any{"type": "sms", "phone": "+15550000001", "token": "123456"}).want(t, 200, "")
	if s.user()["phone"] != "15550000001" || s.user()["phone_confirmed_at"] == nil {
		t.Fatalf("phone session = %s", s.raw)
	}
	// Phone and password sign-up (confirmed at once on a local install), then sign-in.
	e.call(t, "POST", "/signup", "", map[string]any{"phone": "+15550000003", "password": "password1"}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"phone": "15550000003", "password": "password1"}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"phone": "15550000003", "password": "password2"}).want(t, 400, "invalid_credentials")
	// Another number: the code goes through the sender.
	e.call(t, "POST", "/otp", "", map[string]any{"phone": "+15550000002"}).want(t, 200, "")
	code := strings.TrimPrefix(sms.last(t), "Your code is ")
	e.call(t, "POST", "/verify", "", map[string]any{"type": "sms", "phone": "+15550000002", "token": code}).want(t, 200, "")
}

type captureSMS struct {
	mu   sync.Mutex
	msgs []string
}

func (c *captureSMS) SendSMS(_ context.Context, _, body string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, body)
	return nil
}

func (c *captureSMS) last(t *testing.T) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		t.Fatal("no SMS sent")
	}
	return c.msgs[len(c.msgs)-1]
}
