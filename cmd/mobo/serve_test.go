package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/secrets"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

// These tests run the real binary, as a user would: `mobo serve` on a managed
// PostgreSQL in a temp data dir.

var moboBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mobobin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	moboBin = filepath.Join(dir, "mobo")
	if out, err := exec.Command("go", "build", "-o", moboBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mobo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// dataDir returns a temp dir that the postgres OS user can reach when the
// tests run as root.
func dataDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "mobo-serve-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

type server struct {
	cmd    *exec.Cmd
	url    string
	dir    string
	out    *syncBuffer
	waited chan error

	mu         sync.Mutex
	keysCached map[string]string
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs mobo serve and waits until /readyz says ready.
func startServer(t *testing.T, dir string, extraArgs ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(moboBin, append([]string{"serve", "--data-dir", dir, "--http", addr, "--log-format", "json"}, extraArgs...)...)
	s := &server{cmd: cmd, url: "http://" + addr, dir: dir, out: &syncBuffer{}, waited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.waited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.waited:
			t.Fatalf("mobo exited before ready: %v\n%s", err, s.out.String())
		default:
		}
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(s.out.String(), "Press Ctrl-C") {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("mobo not ready in time:\n%s", s.out.String())
	return nil
}

func (s *server) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.waited:
		var ee *exec.ExitError
		if err != nil && !(sig == syscall.SIGKILL && errors.As(err, &ee)) {
			t.Fatalf("mobo exited with %v after %v\n%s", err, sig, s.out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("mobo did not exit after %v", sig)
	}
}

// call sends a JSON request with apikey key and bearer token, and returns
// the status and the decoded JSON object of the answer (nil if not one).
func (s *server) call(t *testing.T, method, path, key, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("apikey", key)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// keys are the default project's anon and service_role keys and the admin
// key, read as a script would (the banner prints them only on a terminal):
// from mobo project show and server.json.
func (s *server) keys(t *testing.T) map[string]string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keysCached != nil {
		return s.keysCached
	}
	out, err := cli(s.dir, "", "project", "show", "default", "--json")
	var p createdProject
	if i := strings.Index(out, "{"); err != nil || i < 0 || json.Unmarshal([]byte(out[i:]), &p) != nil {
		t.Fatalf("project show default: %v\n%s", err, out)
	}
	info, err := readServerInfo(s.dir)
	if err != nil || info.AdminKey == "" {
		t.Fatalf("server.json: %v", err)
	}
	s.keysCached = map[string]string{"anon key": p.AnonKey, "service_role key": p.ServiceKey, "admin key": info.AdminKey}
	return s.keysCached
}

// postmasterPID reads the pid of the cluster's postmaster from its pid file.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pg", "postmaster.pid"))
	if err != nil {
		t.Fatalf("reading postmaster.pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeLifecycle(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)

	s := startServer(t, dir)
	keys := s.keys(t)
	pgPID := postmasterPID(t, dir)
	// Its output is not a terminal (it would reach log files): no key in it.
	for name, k := range keys {
		if strings.Contains(s.out.String(), k) {
			t.Errorf("the %s was printed off a terminal:\n%s", name, s.out.String())
		}
	}

	// The anon key is an HS256 JWT of the default project's secret, role anon.
	secret := projectSecret(t, dir)
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(keys["anon key"], claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"})); err != nil {
		t.Fatalf("anon key does not verify with the project secret: %v", err)
	}
	if claims["role"] != "anon" {
		t.Errorf("anon key role = %v", claims["role"])
	}

	// mobo status and components talk to the running server.
	out, err := exec.Command(moboBin, "status", "--data-dir", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ready") || !strings.Contains(string(out), "managed") {
		t.Errorf("mobo status: %v\n%s", err, out)
	}
	out, err = exec.Command(moboBin, "components", "--data-dir", dir, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("mobo components: %v\n%s", err, out)
	}
	var comps []struct {
		Name    string `json:"name"`
		State   string `json:"state"`
		Healthy bool   `json:"healthy"`
	}
	if err := json.Unmarshal(out, &comps); err != nil {
		t.Fatalf("components --json: %v\n%s", err, out)
	}
	names := map[string]bool{}
	for _, c := range comps {
		names[c.Name] = c.State == "running" && c.Healthy
	}
	for _, n := range []string{"postgres", "controlplane", "tenant", "admin", "gateway"} {
		if !names[n] {
			t.Errorf("component %s not running and healthy: %s", n, out)
		}
	}

	// Ctrl-C stops everything, postgres included.
	s.stop(t, syscall.SIGINT)
	waitDead(t, pgPID)
	if _, err := os.Stat(filepath.Join(dir, "server.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server.json left behind: %v", err)
	}
	out, err = exec.Command(moboBin, "status", "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no mobo server is running") {
		t.Errorf("status after stop: %v\n%s", err, out)
	}

	// A second start reuses the data and the keys.
	s2 := startServer(t, dir)
	if diff := s2.keys(t); diff["anon key"] != keys["anon key"] || diff["service_role key"] != keys["service_role key"] || diff["admin key"] != keys["admin key"] {
		t.Errorf("keys changed across restarts:\nbefore %v\nafter  %v", keys, diff)
	}
	if strings.Contains(s2.out.String(), "initialising postgres") {
		t.Error("second start ran initdb again")
	}

	// kill -9 of mobo: postgres does not outlive it for long, and the next
	// start recovers without manual steps.
	pgPID = postmasterPID(t, dir)
	s2.stop(t, syscall.SIGKILL)
	waitDead(t, pgPID)
	s3 := startServer(t, dir)
	if s3.keys(t)["anon key"] != keys["anon key"] {
		t.Error("keys changed after kill -9")
	}
	s3.stop(t, syscall.SIGTERM)
}

// projectSecret reads the default project's JWT secret from the control plane
// through a running server's cluster.
func projectSecret(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, clusterURL(t, dir, "mobo"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sealed string
	if err := conn.QueryRow(ctx, "select jwt_secret from mobo.projects where ref = 'default'").Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	// Sealed at rest, under the key mobo wrote in the data directory.
	keys, err := secrets.Load(secrets.Config{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := keys.Open("projects.jwt_secret:default", sealed)
	if err != nil || secret == sealed {
		t.Fatalf("the stored JWT secret does not open as a sealed one: %v", err)
	}
	return secret
}

// clusterURL builds a superuser URL from the files the managed cluster keeps.
func clusterURL(t *testing.T, dir, db string) string {
	t.Helper()
	u, err := runningClusterURL(dir, db)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// runningClusterURL is clusterURL's, or an error when the cluster does not
// run (no postmaster.pid: stopped, or restarting after a crash).
func runningClusterURL(dir, db string) (string, error) {
	pw, err := os.ReadFile(filepath.Join(dir, "pg_superuser_password"))
	if err != nil {
		return "", err
	}
	f, err := os.Open(filepath.Join(dir, "pg", "postmaster.pid"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	// postmaster.pid line 4 is the port.
	sc := bufio.NewScanner(f)
	var port string
	for i := 0; sc.Scan(); i++ {
		if i == 3 {
			port = strings.TrimSpace(sc.Text())
		}
	}
	_, _ = io.Copy(io.Discard, f)
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%s/%s", strings.TrimSpace(string(pw)), port, db), nil
}

func TestServeBadConfig(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	if err := os.WriteFile(filepath.Join(dir, "mobo.toml"), []byte("[http]\nlisten = \"127.0.0.1:1\"\nlsten = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(moboBin, "serve", "--config", filepath.Join(dir, "mobo.toml"), "--data-dir", dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve accepted an unknown key")
	}
	if !strings.Contains(string(out), `"http.lsten"`) || strings.Contains(string(out), "goroutine") {
		t.Errorf("want a clear error naming the key, got:\n%s", out)
	}
}

func TestServeNoPostgres(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	empty := t.TempDir()
	cmd := exec.Command(moboBin, "serve", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "MOBO_POSTGRES_BIN_DIR="+empty)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("serve without binaries: %v\n%s", err, out)
	}
	for _, want := range []string{"apt-get install postgresql", "--database-url"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "goroutine ") {
		t.Errorf("stack trace in output:\n%s", out)
	}
}

func TestServeExternalDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	if _, err := db.Pool.Exec(t.Context(), "create table notes (id int primary key, body text)"); err != nil {
		t.Fatal(err)
	}
	dir := dataDir(t)
	s := startServer(t, dir, "--database-url", db.ConnString)
	if !strings.Contains(s.out.String(), "external PostgreSQL") {
		t.Errorf("banner does not say external mode:\n%s", s.out.String())
	}
	out, err := exec.Command(moboBin, "status", "--data-dir", dir, "--json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"mode": "external"`) {
		t.Errorf("status: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "password") || strings.Contains(string(out), pgtestPassword(db.ConnString)) {
		t.Errorf("status shows the database password:\n%s", out)
	}
	s.stop(t, syscall.SIGINT)
	// The served database got mobo's schemas; its own table is untouched.
	var schemas, cols string
	if err := db.Pool.QueryRow(t.Context(), "select string_agg(nspname, ',' order by nspname) from pg_namespace where nspname in ('auth', 'mobo')").Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas != "auth,mobo" {
		t.Errorf("schemas = %q, want auth,mobo", schemas)
	}
	if err := db.Pool.QueryRow(t.Context(), "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'notes'").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "id,body" {
		t.Errorf("notes columns = %q", cols)
	}
}

// pgtestPassword extracts the password of a URL, or a value that never matches.
func pgtestPassword(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return "\x00"
	}
	if p, ok := pu.User.Password(); ok && p != "" {
		return p
	}
	return "\x00"
}

// cli runs the mobo CLI on data dir dir, with stdin, and returns its
// combined output.
func cli(dir, stdin string, args ...string) (string, error) {
	cmd := exec.Command(moboBin, append(args, "--data-dir", dir)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// createdProject is what `mobo project create --json` prints.
type createdProject struct {
	Ref, Name, Status, Database string
	AnonKey                     string `json:"anon_key"`
	ServiceKey                  string `json:"service_key"`
	APIURL                      string `json:"api_url"`
}

// createProject creates project ref with the CLI (more flags in args).
func createProject(t *testing.T, dir, ref string, args ...string) createdProject {
	t.Helper()
	out, err := cli(dir, "", append([]string{"project", "create", "--ref", ref, "--json"}, args...)...)
	if err != nil {
		t.Fatalf("create %s: %v\n%s", ref, err, out)
	}
	var p createdProject
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &p) != nil {
		t.Fatalf("create %s --json printed:\n%s", ref, out)
	}
	return p
}

func TestProjectCommands(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	mobo := func(stdin string, args ...string) (string, error) { return cli(dir, stdin, args...) }
	p := createProject(t, dir, "shop", "--name", "Shop")
	if p.Ref != "shop" || p.Status != "active" || !strings.HasSuffix(p.APIURL, "/p/shop") || p.AnonKey == "" {
		t.Errorf("created %+v", p)
	}
	if out, err := mobo("", "project", "create", "--ref", "shop"); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("duplicate create: %v\n%s", err, out)
	}
	status := func(path string) int {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/p/shop/healthz"); got != 200 {
		t.Errorf("/p/shop/healthz = %d", got)
	}
	// A key works only for its own project.
	defaultKey := s.keys(t)["anon key"]
	withKey := func(path, key string) int {
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("apikey", key)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, key string
		want      int
	}{
		{"/p/shop/rest/v1/", p.AnonKey, 200},
		{"/p/shop/rest/v1/", defaultKey, 401},
		{"/rest/v1/", p.AnonKey, 401},
		{"/rest/v1/", defaultKey, 200},
		{"/p/shop/auth/v1/user", defaultKey, 401},
	} {
		if got := withKey(c.path, c.key); got != c.want {
			t.Errorf("GET %s with %s key = %d, want %d", c.path, map[bool]string{true: "shop's", false: "default's"}[c.key == p.AnonKey], got, c.want)
		}
	}
	if got := status("/p/nope/healthz"); got != 404 {
		t.Errorf("/p/nope/healthz = %d", got)
	}
	out, err := mobo("", "project", "list")
	if err != nil || !strings.Contains(out, "shop") || !strings.Contains(out, "default") {
		t.Errorf("list: %v\n%s", err, out)
	}
	if out, err := mobo("", "project", "pause", "shop"); err != nil || !strings.Contains(out, "paused") {
		t.Errorf("pause: %v\n%s", err, out)
	}
	if got := status("/p/shop/healthz"); got != 503 {
		t.Errorf("paused /p/shop/healthz = %d", got)
	}
	if out, err := mobo("", "project", "resume", "shop"); err != nil || !strings.Contains(out, "active") {
		t.Errorf("resume: %v\n%s", err, out)
	}
	out, err = mobo("", "project", "limits", "shop", "--max-connections", "4", "--statement-timeout", "2s", "--json")
	if err != nil || !strings.Contains(out, `"max_connections": 4`) || !strings.Contains(out, `"statement_timeout": "2s"`) {
		t.Errorf("limits: %v\n%s", err, out)
	}
	if out, err := mobo("", "project", "limits", "shop", "--statement-timeout", "soon"); err == nil || !strings.Contains(out, "duration") {
		t.Errorf("bad limits: %v\n%s", err, out)
	}
	out, err = mobo("", "project", "usage", "shop", "--json")
	var u struct {
		SizeBytes int64 `json:"size_bytes"`
		Requests  int64 `json:"requests"`
	}
	if err != nil || json.Unmarshal([]byte(out), &u) != nil || u.SizeBytes <= 0 || u.Requests < 1 {
		t.Errorf("usage: %v %+v\n%s", err, u, out)
	}
	if out, err := mobo("wrong\n", "project", "delete", "shop"); err == nil || !strings.Contains(out, "not deleted") {
		t.Errorf("delete with a wrong confirmation: %v\n%s", err, out)
	}
	out, err = mobo("shop\n", "project", "delete", "shop")
	if err != nil || !strings.Contains(out, "final dump:") {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	dumps, _ := filepath.Glob(filepath.Join(dir, "dumps", "shop-*.sql"))
	if len(dumps) != 1 {
		t.Errorf("dumps = %v", dumps)
	}
	if got := status("/p/shop/healthz"); got != 404 {
		t.Errorf("deleted /p/shop/healthz = %d", got)
	}
	s.stop(t, syscall.SIGINT)
}

// TestProjectKeyRotation: after rotate-keys the project's old keys and the
// access tokens signed with the old secret are refused, the new keys work,
// and a signed-in user renews the session with the refresh token.
func TestProjectKeyRotation(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	mobo := func(stdin string, args ...string) (string, error) { return cli(dir, stdin, args...) }
	type keys struct {
		AnonKey    string `json:"anon_key"`
		ServiceKey string `json:"service_key"`
	}
	parse := func(out string) keys {
		t.Helper()
		var k keys
		if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &k) != nil || k.AnonKey == "" || k.ServiceKey == "" {
			t.Fatalf("no keys in:\n%s", out)
		}
		return k
	}
	out, err := mobo("", "project", "create", "--ref", "vault", "--json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	old := parse(out)
	call := func(method, path, key, bearer, body string) (int, map[string]any) {
		t.Helper()
		return s.call(t, method, path, key, bearer, body)
	}
	status, session := call("POST", "/p/vault/auth/v1/signup", old.AnonKey, old.AnonKey, `{"email":"ann@example.com","password":"correct horse battery"}`)
	access, _ := session["access_token"].(string)
	refresh, _ := session["refresh_token"].(string)
	if status != 200 || access == "" || refresh == "" {
		t.Fatalf("signup = %d %v", status, session)
	}
	if st, _ := call("GET", "/p/vault/auth/v1/user", old.AnonKey, access, ""); st != 200 {
		t.Fatalf("user before the rotation = %d", st)
	}

	if out, err := mobo("wrong\n", "project", "rotate-keys", "vault"); err == nil || !strings.Contains(out, "not rotated") {
		t.Errorf("rotate-keys with a wrong confirmation: %v\n%s", err, out)
	}
	out, err = mobo("vault\n", "project", "rotate-keys", "vault", "--json")
	if err != nil {
		t.Fatalf("rotate-keys: %v\n%s", err, out)
	}
	rotated := parse(out)
	if rotated.AnonKey == old.AnonKey || rotated.ServiceKey == old.ServiceKey {
		t.Fatalf("rotate-keys kept the keys")
	}
	if out, err := mobo("", "project", "show", "vault", "--json"); err != nil || parse(out) != rotated {
		t.Errorf("show after rotate-keys: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name, path, key, bearer string
		want                    int
	}{
		{"old anon key, REST", "/p/vault/rest/v1/", old.AnonKey, old.AnonKey, 401},
		{"old service key, REST", "/p/vault/rest/v1/", old.ServiceKey, old.ServiceKey, 401},
		{"new anon key, REST", "/p/vault/rest/v1/", rotated.AnonKey, rotated.AnonKey, 200},
		{"new service key, auth admin", "/p/vault/auth/v1/admin/users", rotated.ServiceKey, rotated.ServiceKey, 200},
		{"old access token", "/p/vault/auth/v1/user", rotated.AnonKey, access, 403}, // GoTrue's bad_jwt
	} {
		if got, body := call("GET", c.path, c.key, c.bearer, ""); got != c.want {
			t.Errorf("%s: GET %s = %d %v, want %d", c.name, c.path, got, body, c.want)
		}
	}
	// The session survives: the refresh token gets an access token signed
	// with the new secret.
	status, session = call("POST", "/p/vault/auth/v1/token?grant_type=refresh_token", rotated.AnonKey, rotated.AnonKey, `{"refresh_token":"`+refresh+`"}`)
	renewed, _ := session["access_token"].(string)
	if status != 200 || renewed == "" {
		t.Fatalf("refresh after the rotation = %d %v", status, session)
	}
	if st, user := call("GET", "/p/vault/auth/v1/user", rotated.AnonKey, renewed, ""); st != 200 || user["email"] != "ann@example.com" {
		t.Errorf("user with the renewed token = %d %v", st, user)
	}
	if out, err := mobo("", "project", "rotate-keys", "nope", "--yes"); err == nil || !strings.Contains(out, "no such project") {
		t.Errorf("rotate-keys of an unknown project: %v\n%s", err, out)
	}
	s.stop(t, syscall.SIGINT)
}

// TestProjectCommandsOffline: with no server running, project commands boot
// the platform in-process on the data dir and stop it again.
func TestProjectCommandsOffline(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir) // initialise the data dir, then stop
	s.stop(t, syscall.SIGINT)
	mobo := func(args ...string) (string, error) {
		out, err := exec.Command(moboBin, append(args, "--data-dir", dir)...).CombinedOutput()
		return string(out), err
	}
	if out, err := mobo("project", "create", "--ref", "offline"); err != nil || !strings.Contains(out, "offline") {
		t.Fatalf("offline create: %v\n%s", err, out)
	}
	if out, err := mobo("project", "list"); err != nil || !strings.Contains(out, "offline") || !strings.Contains(out, "default") {
		t.Fatalf("offline list: %v\n%s", err, out)
	}
	// status still says no server runs: the offline platform stopped.
	if out, err := mobo("status"); err == nil || !strings.Contains(out, "no mobo server is running") {
		t.Errorf("status after offline commands: %v\n%s", err, out)
	}
	// The next server serves the project made offline.
	s2 := startServer(t, dir)
	resp, err := http.Get(s2.url + "/p/offline/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/p/offline/healthz = %d", resp.StatusCode)
	}
	s2.stop(t, syscall.SIGINT)
}
