package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAPIKeyOptional: off by default a request without apikey is GoTrue's
// gateway's 401; with api_key_optional it is answered, yet a key that is
// sent must still be valid and the admin API still needs the service role.
func TestAPIKeyOptional(t *testing.T) {
	t.Parallel()
	strict := newEnv(t, nil)
	if r := strict.callKey(t, "GET", "/settings", "", "", nil).want(t, 401, "no_api_key"); r.str("msg") != "No API key found in request" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	e := newEnv(t, func(c *Config) { c.APIKeyOptional = true })
	e.callKey(t, "GET", "/settings", "", "", nil).want(t, 200, "")
	s := e.callKey(t, "POST", "/signup", "", "", map[string]any{"email": "nokey@example.com", "password": "password1"}).want(t, 200, "")
	e.callKey(t, "GET", "/user", "", s.str("access_token"), nil).want(t, 200, "")
	e.callKey(t, "GET", "/settings", "not-a-key", "", nil).want(t, 401, "invalid_api_key")
	e.callKey(t, "GET", "/admin/users", "", "", nil).want(t, 401, "no_authorization")
	// A project may turn it on for itself.
	got, _, err := Defaults().withProjectSettings([]byte(`{"api_key_optional":true,"secure_password_change":true,"double_confirm_changes":true}`), true)
	if err != nil || !got.APIKeyOptional || !got.SecurePasswordChange || !got.DoubleConfirmChanges {
		t.Fatalf("project settings: %+v, %v", got, err)
	}
}

// TestSecurePasswordChange: with secure_password_change a session older
// than 24h changes its password only with the nonce /reauthenticate sent;
// a recent session needs none, as GoTrue has it.
func TestSecurePasswordChange(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, func(c *Config) { c.SecurePasswordChange = true }, WithClock(clk.now))
	s := e.signUp(t, "secure@example.com", "password1")
	tok := s.str("access_token")
	e.call(t, "PUT", "/user", tok, map[string]any{"password": "password2"}).want(t, 200, "")

	clk.add(25 * time.Hour)
	s = e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": s.str("refresh_token")}).want(t, 200, "")
	tok = s.str("access_token")
	r := e.call(t, "PUT", "/user", tok, map[string]any{"password": "password3"}).want(t, 400, "reauthentication_needed")
	if r.str("msg") != "Password update requires reauthentication" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	// Other changes need no nonce.
	e.call(t, "PUT", "/user", tok, map[string]any{"data": map[string]any{"x": 1}}).want(t, 200, "")
	e.call(t, "GET", "/reauthenticate", tok, nil).want(t, 200, "")
	nonce := e.sink.wait(t, "secure@example.com", 1).code(t)
	r = e.call(t, "PUT", "/user", tok, map[string]any{"password": "password3", "nonce": "000000"}).want(t, 422, "reauthentication_not_valid")
	if r.str("msg") != "Nonce has expired or is invalid" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	e.call(t, "PUT", "/user", tok, map[string]any{"password": "password3", "nonce": nonce}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "secure@example.com", "password": "password3"}).want(t, 200, "")
	// The nonce is spent.
	e.call(t, "PUT", "/user", tok, map[string]any{"password": "password4", "nonce": nonce}).want(t, 422, "reauthentication_not_valid")
}

// TestDoubleConfirmChanges: with double_confirm_changes an email change
// mails both addresses; the first link used answers GoTrue's "accepted,
// confirm the other" and changes nothing, the second changes the address.
func TestDoubleConfirmChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.EnableConfirmations, c.DoubleConfirmChanges = true, true })
	e.callKey(t, "POST", "/admin/users", e.service, e.service, map[string]any{"email": "old@example.com", "password": "password1", "email_confirm": true}).want(t, 200, "")
	s := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "old@example.com", "password": "password1"}).want(t, 200, "")
	tok := s.str("access_token")
	u := e.call(t, "PUT", "/user", tok, map[string]any{"email": "new@example.com"}).want(t, 200, "")
	if u.str("email") != "old@example.com" || u.str("new_email") != "new@example.com" {
		t.Fatalf("user after the change request = %s", u.raw)
	}
	toOld, toNew := e.sink.wait(t, "old@example.com", 1), e.sink.wait(t, "new@example.com", 1)
	// The current address's link first: accepted, nothing changed yet.
	r := e.call(t, "GET", strings.TrimPrefix(toOld.link(t), e.srv.URL+"/auth/v1"), "", nil).want(t, 303, "")
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if frag, _ := url.ParseQuery(loc.Fragment); frag.Get("message") != singleConfirmation {
		t.Fatalf("redirect after the first link = %s", loc)
	}
	if got := e.call(t, "GET", "/user", tok, nil).want(t, 200, ""); got.str("email") != "old@example.com" {
		t.Fatalf("email changed after one link: %s", got.raw)
	}
	// Used again, the first link is spent.
	e.call(t, "POST", "/verify", "", map[string]any{"type": "email_change", "email": "old@example.com", "token": toOld.code(t)}).want(t, 403, "otp_expired")
	// The new address's code completes the change.
	v := e.call(t, "POST", "/verify", "", map[string]any{"type": "email_change", "email": "new@example.com", "token": toNew.code(t)}).want(t, 200, "")
	if v.user()["email"] != "new@example.com" {
		t.Fatalf("after both links: %s", v.raw)
	}
	// The other order, by POST: the first answer is GoTrue's body.
	e.call(t, "PUT", "/user", v.str("access_token"), map[string]any{"email": "third@example.com"}).want(t, 200, "")
	first := e.call(t, "POST", "/verify", "", map[string]any{"type": "email_change", "email": "third@example.com", "token": e.sink.wait(t, "third@example.com", 1).code(t)}).want(t, 200, "")
	if first.str("msg") != singleConfirmation || first.body["code"] != float64(200) || first.body["access_token"] != nil {
		t.Fatalf("first confirmation = %s", first.raw)
	}
	last := e.call(t, "POST", "/verify", "", map[string]any{"type": "email_change", "email": "new@example.com", "token": e.sink.wait(t, "new@example.com", 2).code(t)}).want(t, 200, "")
	if last.user()["email"] != "third@example.com" {
		t.Fatalf("after both confirmations: %s", last.raw)
	}
}
