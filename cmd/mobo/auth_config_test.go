package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
)

// TestProjectAuthConfig: `mobo project auth-config` changes one project's
// auth settings through the admin API; the running server applies them to
// the project's next request, and other projects keep the platform's.
func TestProjectAuthConfig(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	mobo := func(args ...string) (string, error) { return cli(dir, "", args...) }
	p := createProject(t, dir, "club")
	defaultKey := s.keys(t)["anon key"]
	call := func(method, path, key, body string) (int, map[string]any) {
		t.Helper()
		return s.call(t, method, path, key, key, body)
	}
	signup := func(prefix, key, email string) (int, map[string]any) {
		return call("POST", prefix+"/auth/v1/signup", key, `{"email":"`+email+`","password":"correct horse battery"}`)
	}

	out, err := mobo("project", "auth-config", "club", "--disable-signup", "--jwt-expiry", "10m", "--password-min-length", "12", "--json")
	if err != nil {
		t.Fatalf("auth-config: %v\n%s", err, out)
	}
	var pc struct {
		Overrides map[string]any
		Effective map[string]any
	}
	if err := json.Unmarshal([]byte(out), &pc); err != nil {
		t.Fatalf("auth-config --json: %v\n%s", err, out)
	}
	if pc.Effective["disable_signup"] != true || pc.Effective["jwt_expiry"] != "10m0s" || pc.Overrides["password_min_length"] != float64(12) {
		t.Errorf("auth-config answered %+v", pc)
	}
	if st, body := signup("/p/club", p.AnonKey, "ann@example.com"); st != 422 || body["error_code"] != "signup_disabled" {
		t.Errorf("signup on club with signups disabled = %d %v", st, body)
	}
	if st, body := signup("", defaultKey, "ann@example.com"); st != 200 {
		t.Errorf("signup on the default project = %d %v", st, body)
	}
	if st, body := call("GET", "/p/club/auth/v1/settings", p.AnonKey, ""); st != 200 || body["disable_signup"] != true {
		t.Errorf("club's /settings = %d %v", st, body)
	}
	// The admin still creates users; their tokens last the project's 10m,
	// and the project's password rule applies.
	if st, body := call("POST", "/p/club/auth/v1/admin/users", p.ServiceKey, `{"email":"bo@example.com","password":"short pass","email_confirm":true}`); st != 422 {
		t.Errorf("admin create with a password under club's 12 characters = %d %v", st, body)
	}
	if st, body := call("POST", "/p/club/auth/v1/admin/users", p.ServiceKey, `{"email":"bo@example.com","password":"long enough password","email_confirm":true}`); st != 200 {
		t.Fatalf("admin create = %d %v", st, body)
	}
	st, session := call("POST", "/p/club/auth/v1/token?grant_type=password", p.AnonKey, `{"email":"bo@example.com","password":"long enough password"}`)
	if st != 200 || session["expires_in"] != float64(600) {
		t.Errorf("sign-in on club = %d, expires_in %v, want 600", st, session["expires_in"])
	}

	// A bad value is refused with its reason, and nothing changes.
	if out, err := mobo("project", "auth-config", "club", "--otp-length", "3"); err == nil || !strings.Contains(out, "otp_length") {
		t.Errorf("otp-length 3: %v\n%s", err, out)
	}
	if out, err := mobo("project", "auth-config", "club", "--jwt-expiry", "soon"); err == nil || !strings.Contains(out, "duration") {
		t.Errorf("jwt-expiry soon: %v\n%s", err, out)
	}
	if out, err := mobo("project", "auth-config", "club", "--reset", "bogus"); err == nil || !strings.Contains(out, "no such setting") {
		t.Errorf("reset of an unknown setting: %v\n%s", err, out)
	}
	// Reset (by key or by flag name): the platform's value again, at once.
	if out, err := mobo("project", "auth-config", "club", "--reset", "password-min-length", "--json"); err != nil || strings.Contains(out, `"password_min_length": 12`) {
		t.Errorf("reset by flag name: %v\n%s", err, out)
	}
	if out, err := mobo("project", "auth-config", "club", "--reset", "disable_signup"); err != nil || !strings.Contains(out, "disable_signup") {
		t.Fatalf("reset: %v\n%s", err, out)
	}
	if st, body := signup("/p/club", p.AnonKey, "cy@example.com"); st != 200 {
		t.Errorf("signup on club after the reset = %d %v", st, body)
	}
	s.stop(t, syscall.SIGINT)
}
