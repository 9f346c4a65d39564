package auth

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAdminListUsersPaging: GET /admin/users pages newest first, as
// GoTrue's does, with its X-Total-Count and Link headers and its errors.
func TestAdminListUsersPaging(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newEnv(t, nil, WithClock(clk.now))
	adm := func(method, path string, body any) resp {
		return e.callKey(t, method, path, e.service, e.service, body)
	}
	for i := range 5 {
		adm("POST", "/admin/users", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "user_metadata": map[string]any{"full_name": fmt.Sprintf("User %d", i)}}).want(t, 200, "")
		clk.add(time.Second)
	}
	emails := func(r resp) string {
		var out []string
		for _, u := range r.body["users"].([]any) {
			out = append(out, strings.TrimSuffix(u.(map[string]any)["email"].(string), "@example.com"))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		query, users, link string
	}{
		{"", "u4,u3,u2,u1,u0", `</auth/v1/admin/users?page=1>; rel="last"`},
		{"?page=1&per_page=2", "u4,u3", `</auth/v1/admin/users?page=2&per_page=2>; rel="next", </auth/v1/admin/users?page=3&per_page=2>; rel="last"`},
		{"?page=3&per_page=2", "u0", `</auth/v1/admin/users?page=3&per_page=2>; rel="last"`},
		{"?page=9&per_page=2", "", `</auth/v1/admin/users?page=3&per_page=2>; rel="last"`},
		{"?per_page=2&sort=created_at+asc", "u0,u1", `</auth/v1/admin/users?page=2&per_page=2&sort=created_at+asc>; rel="next", </auth/v1/admin/users?page=3&per_page=2&sort=created_at+asc>; rel="last"`},
		{"?page=0", "u4,u3,u2,u1,u0", `</auth/v1/admin/users?page=1>; rel="last"`},
		{"?filter=" + url.QueryEscape("user 2"), "u2", `</auth/v1/admin/users?filter=user+2&page=1>; rel="last"`},
		{"?filter=%25", "", `</auth/v1/admin/users?filter=%25&page=0>; rel="last"`},
	}
	for _, tt := range tests {
		r := adm("GET", "/admin/users"+tt.query, nil).want(t, 200, "")
		if got := emails(r); got != tt.users {
			t.Errorf("%s: users %s, want %s", tt.query, got, tt.users)
		}
		if got := r.header.Get("Link"); got != tt.link {
			t.Errorf("%s: Link\n %s\nwant\n %s", tt.query, got, tt.link)
		}
		if tt.query != "?filter=%25" && !strings.Contains(tt.query, "filter") && r.header.Get("X-Total-Count") != "5" {
			t.Errorf("%s: X-Total-Count %q", tt.query, r.header.Get("X-Total-Count"))
		}
	}
	bad := []struct{ query, msg string }{
		{"?page=abc", `Bad Pagination Parameters: strconv.ParseUint: parsing "abc": invalid syntax`},
		{"?page=-1", `Bad Pagination Parameters: strconv.ParseUint: parsing "-1": invalid syntax`},
		{"?per_page=0", "Bad Pagination Parameters: per_page must be greater than 0"},
		{"?sort=email", "Bad Sort Parameters: bad field for sort 'email'"},
		{"?sort=created_at+up", "Bad Sort Parameters: bad direction for sort 'up', only 'asc' and 'desc' allowed"},
	}
	for _, tt := range bad {
		if r := adm("GET", "/admin/users"+tt.query, nil).want(t, 400, "validation_failed"); r.str("msg") != tt.msg {
			t.Errorf("%s: msg %q, want %q", tt.query, r.str("msg"), tt.msg)
		}
	}
	// The factors of a user who does not exist, and of an id that is no UUID.
	adm("GET", "/admin/users/8f0e2c4e-0000-4000-8000-000000000000/factors", nil).want(t, 404, "user_not_found")
	if r := adm("GET", "/admin/users/nope/factors", nil).want(t, 404, "validation_failed"); r.str("msg") != "user_id must be an UUID" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	// generate_link: the token comes first in the action link, as GoTrue's.
	l := adm("POST", "/admin/generate_link", map[string]any{"type": "magiclink", "email": "u1@example.com", "redirect_to": "http://localhost:3000/cb"}).want(t, 200, "")
	u, err := url.Parse(l.str("action_link"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "token=" + l.str("hashed_token") + "&type=signup&redirect_to=" + url.QueryEscape("http://localhost:3000/cb"); u.RawQuery != want {
		t.Errorf("action_link query %q, want %q", u.RawQuery, want)
	}
}

// TestPhoneRules: phone numbers must be E.164 (GoTrue reads "+" and spaces
// away, nothing else), and without an SMS sender phone sign-in is off
// except for the test numbers.
func TestPhoneRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SMS.TestOTP = map[string]string{"15550000009": "123456"} })
	adm := func(body any) resp { return e.callKey(t, "POST", "/admin/users", e.service, e.service, body) }
	for _, ph := range []string{"(555) 010-9999", "+1-555-010-9999", "0123456789", "+1", "1234567890123456", "phone"} {
		r := adm(map[string]any{"phone": ph}).want(t, 400, "validation_failed")
		if r.str("msg") != "Invalid phone number format (E.164 required)" {
			t.Errorf("%q: msg %q", ph, r.str("msg"))
		}
	}
	if r := adm(map[string]any{"phone": "+44 20 7946 0000"}).want(t, 200, ""); r.str("phone") != "442079460000" {
		t.Errorf("phone stored as %q", r.str("phone"))
	}
	e.call(t, "POST", "/signup", "", map[string]any{"phone": "555-0100", "password": "password1"}).want(t, 400, "validation_failed")
	// A test number gets its code; another number cannot be texted.
	e.call(t, "POST", "/otp", "", map[string]any{"phone": "+1 555 000 0009"}).want(t, 200, "")
	r := e.call(t, "POST", "/otp", "", map[string]any{"phone": "+15550000010"}).want(t, 422, "sms_send_failed")
	if r.str("msg") != "Error sending confirmation OTP to provider: no SMS provider is configured" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	// No test numbers either: phone sign-in is off.
	off := newEnv(t, nil)
	r = off.call(t, "POST", "/otp", "", map[string]any{"phone": "+15550000010"}).want(t, 400, "phone_provider_disabled")
	if r.str("msg") != "Unsupported phone provider" {
		t.Errorf("msg = %q", r.str("msg"))
	}
	if set := off.call(t, "GET", "/settings", "", nil); set.body["external"].(map[string]any)["phone"] != false {
		t.Errorf("settings = %s", set.raw)
	}
}
