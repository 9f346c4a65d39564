package auth

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestMFATOTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	s := e.signUp(t, "mfa@example.com", "password1")
	tok := s.str("access_token")
	enr := e.call(t, "POST", "/factors", tok, map[string]any{"factor_type": "totp", "friendly_name": "phone"}).want(t, 200, "")
	fid := enr.str("id")
	secret := enr.body["totp"].(map[string]any)["secret"].(string)
	e.call(t, "POST", "/factors", tok, map[string]any{"factor_type": "totp", "friendly_name": "phone"}).want(t, 422, "mfa_factor_name_conflict")
	e.call(t, "POST", "/factors", tok, map[string]any{"factor_type": "webauthn"}).want(t, 422, "mfa_webauthn_enroll_not_enabled")
	e.call(t, "POST", "/factors", tok, map[string]any{"factor_type": "phone"}).want(t, 422, "mfa_phone_enroll_not_enabled")
	e.call(t, "POST", "/factors", tok, map[string]any{"factor_type": "sms"}).want(t, 400, "validation_failed")

	ch := e.call(t, "POST", "/factors/"+fid+"/challenge", tok, nil).want(t, 200, "")
	e.call(t, "POST", "/factors/"+fid+"/verify", tok, map[string]any{"challenge_id": ch.str("id"), "code": "not-a-code"}).want(t, 422, "mfa_verification_failed")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := e.call(t, "POST", "/factors/"+fid+"/verify", tok, map[string]any{"challenge_id": ch.str("id"), "code": code}).want(t, 200, "")
	c := claimsOf(t, v.str("access_token"))
	if c["aal"] != "aal2" || !strings.Contains(strings.Join(amrMethods(c), ","), "totp") {
		t.Fatalf("after verify: %v", c)
	}
	// A used challenge cannot be verified again.
	e.call(t, "POST", "/factors/"+fid+"/verify", tok, map[string]any{"challenge_id": ch.str("id"), "code": code}).want(t, 422, "mfa_challenge_expired")
	// The step-up survives a refresh.
	r := e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": v.str("refresh_token")}).want(t, 200, "")
	if claimsOf(t, r.str("access_token"))["aal"] != "aal2" {
		t.Fatal("refresh lost aal2")
	}
	// A fresh sign-in is aal1 and may not remove the verified factor.
	s2 := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "mfa@example.com", "password": "password1"}).want(t, 200, "")
	e.call(t, "DELETE", "/factors/"+fid, s2.str("access_token"), nil).want(t, 403, "insufficient_aal")
	u := e.call(t, "GET", "/user", s2.str("access_token"), nil).want(t, 200, "")
	if fs := u.body["factors"].([]any); len(fs) != 1 || fs[0].(map[string]any)["status"] != "verified" {
		t.Fatalf("factors = %v", u.body["factors"])
	}
	// Lost authenticator: the admin deletes the factor.
	uid := u.str("id")
	list := e.callKey(t, "GET", "/admin/users/"+uid+"/factors", e.service, e.service, nil).want(t, 200, "")
	if !strings.Contains(string(list.raw), fid) {
		t.Fatalf("admin factors = %s", list.raw)
	}
	e.callKey(t, "DELETE", "/admin/users/"+uid+"/factors/"+fid, e.service, e.service, nil).want(t, 200, "")
	r = e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": r.str("refresh_token")}).want(t, 200, "")
	if claimsOf(t, r.str("access_token"))["aal"] != "aal1" {
		t.Fatal("deleting the factor left the session at aal2")
	}
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	adm := func(method, path string, body any) resp {
		return e.callKey(t, method, path, e.service, e.service, body)
	}
	// Only the service role.
	e.call(t, "GET", "/admin/users", "", nil).want(t, 403, "not_admin")
	user := e.signUp(t, "plain@example.com", "password1")
	e.call(t, "GET", "/admin/users", user.str("access_token"), nil).want(t, 403, "not_admin")

	for i := range 4 {
		adm("POST", "/admin/users", map[string]any{"email": fmt.Sprintf("a%d@example.com", i), "password": "password1", "email_confirm": true}).want(t, 200, "")
	}
	adm("POST", "/admin/users", map[string]any{"email": "a0@example.com"}).want(t, 422, "email_exists")
	tests := []struct {
		page, perPage, n int
		next             bool
	}{{1, 2, 2, true}, {2, 2, 2, true}, {3, 2, 1, false}, {1, 50, 5, false}}
	for _, tt := range tests {
		r := adm("GET", fmt.Sprintf("/admin/users?page=%d&per_page=%d", tt.page, tt.perPage), nil).want(t, 200, "")
		if n := len(r.body["users"].([]any)); n != tt.n || r.header.Get("X-Total-Count") != "5" {
			t.Errorf("page %d/%d: %d users, total %q", tt.page, tt.perPage, n, r.header.Get("X-Total-Count"))
		}
		if got := strings.Contains(r.header.Get("Link"), `rel="next"`); got != tt.next {
			t.Errorf("page %d/%d: Link %q", tt.page, tt.perPage, r.header.Get("Link"))
		}
	}
	c := adm("POST", "/admin/users", map[string]any{"email": "ban@example.com", "password": "password1", "email_confirm": true, "app_metadata": map[string]any{"plan": "x"}}).want(t, 200, "")
	id := c.str("id")
	got := adm("GET", "/admin/users/"+id, nil).want(t, 200, "")
	if got.body["app_metadata"].(map[string]any)["plan"] != "x" || got.body["app_metadata"].(map[string]any)["provider"] != "email" {
		t.Fatalf("app_metadata = %v", got.body["app_metadata"])
	}
	s := e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "ban@example.com", "password": "password1"}).want(t, 200, "")
	adm("PUT", "/admin/users/"+id, map[string]any{"ban_duration": "1h", "app_metadata": map[string]any{"roles": []string{"editor"}}}).want(t, 200, "")
	e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "ban@example.com", "password": "password1"}).want(t, 400, "user_banned")
	e.call(t, "POST", "/token?grant_type=refresh_token", "", map[string]any{"refresh_token": s.str("refresh_token")}).want(t, 400, "refresh_token_not_found")
	adm("PUT", "/admin/users/"+id, map[string]any{"ban_duration": "none"}).want(t, 200, "")
	s = e.call(t, "POST", "/token?grant_type=password", "", map[string]any{"email": "ban@example.com", "password": "password1"}).want(t, 200, "")
	roles := claimsOf(t, s.str("access_token"))["app_metadata"].(map[string]any)["roles"]
	if fmt.Sprint(roles) != "[editor]" {
		t.Fatalf("roles in token = %v", roles)
	}
	adm("PUT", "/admin/users/"+id, map[string]any{"ban_duration": "forever"}).want(t, 400, "validation_failed")

	// generate_link: the link's hashed token verifies, no mail goes out.
	l := adm("POST", "/admin/generate_link", map[string]any{"type": "recovery", "email": "ban@example.com"}).want(t, 200, "")
	if l.str("verification_type") != "recovery" || !strings.Contains(l.str("action_link"), "/auth/v1/verify?") || l.str("id") != id {
		t.Fatalf("generate_link = %s", l.raw)
	}
	e.call(t, "POST", "/verify", "", map[string]any{"type": "recovery", "token_hash": l.str("hashed_token")}).want(t, 200, "")
	inv := adm("POST", "/admin/generate_link", map[string]any{"type": "invite", "email": "invited@example.com"}).want(t, 200, "")
	e.call(t, "POST", "/verify", "", map[string]any{"type": "invite", "email": "invited@example.com", "token": inv.str("email_otp")}).want(t, 200, "")
	e.callKey(t, "POST", "/invite", e.service, e.service, map[string]any{"email": "mailed@example.com"}).want(t, 200, "")
	if m := e.sink.wait(t, "mailed@example.com", 1); !strings.Contains(m.Data, "invited") {
		t.Fatalf("invite mail = %q", m.Data)
	}
	e.call(t, "POST", "/invite", "", map[string]any{"email": "x@example.com"}).want(t, 403, "not_admin")

	adm("DELETE", "/admin/users/"+id, nil).want(t, 200, "")
	adm("GET", "/admin/users/"+id, nil).want(t, 404, "user_not_found")
	adm("GET", "/admin/users/not-a-uuid", nil).want(t, 404, "validation_failed")
	var n int
	if err := e.db.Pool.QueryRow(t.Context(), `select count(*) from auth.audit_log_entries where payload->>'action' = 'user_deleted'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("user_deleted audit entries = %d", n)
	}
	_ = strconv.Itoa
}
