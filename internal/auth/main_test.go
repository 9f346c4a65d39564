package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeTenants is one project whose database is a test database.
type fakeTenants struct {
	secret, db string
	pool       *pgxpool.Pool
}

func (f fakeTenants) ServicePool(_ context.Context, ref string) (*pgxpool.Pool, error) {
	if ref != tenant.DefaultRef {
		return nil, tenant.ErrNoProject
	}
	return f.pool, nil
}

func (f fakeTenants) Refs() []string { return []string{tenant.DefaultRef} }
func (f fakeTenants) JWTSecret(ref string) (string, error) {
	if ref != tenant.DefaultRef {
		return "", tenant.ErrNoProject
	}
	return f.secret, nil
}

func (f fakeTenants) Database(ref string) (string, error) {
	if ref != tenant.DefaultRef {
		return "", tenant.ErrNoProject
	}
	return f.db, nil
}

// projectTemplate is a database with the tenant's and the auth schema, as a
// project database has after boot.
var projectTemplate = func() pgtest.Option {
	ts, err := tenant.Migrations()
	if err != nil {
		panic(err)
	}
	as, err := Migrations()
	if err != nil {
		panic(err)
	}
	return pgtest.Template("auth", ts.Fingerprint()+as.Fingerprint(), func(ctx context.Context, conn *pgx.Conn) error {
		for _, r := range []string{"anon", "authenticated", "service_role"} {
			_, err := conn.Exec(ctx, `do $$ begin create role `+r+` nologin noinherit; exception when duplicate_object then null; end $$`)
			if err != nil {
				return err
			}
		}
		if _, err := conn.Exec(ctx, `alter role service_role bypassrls`); err != nil {
			return err
		}
		if _, err := ts.Up(ctx, conn); err != nil {
			return err
		}
		_, err := as.Up(ctx, conn)
		return err
	})
}()

// capturedMail is one captured message.
type capturedMail struct {
	To   string
	Data string
}

// smtpSink is a real SMTP server on a loopback port that keeps what it gets.
type smtpSink struct {
	addr *net.TCPAddr
	mu   sync.Mutex
	msgs []capturedMail
}

type sinkSession struct {
	sink *smtpSink
	to   []string
}

func (s *sinkSession) Reset()                                    { s.to = nil }
func (s *sinkSession) Logout() error                             { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	for _, to := range s.to {
		s.sink.msgs = append(s.sink.msgs, capturedMail{To: to, Data: string(b)})
	}
	return nil
}

func startSink(t testing.TB) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: sink}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().(*net.TCPAddr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp sink: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return sink
}

// wait returns the n-th (1-based) message to addr, polling until a deadline.
func (s *smtpSink) wait(t *testing.T, to string, n int) capturedMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		seen := 0
		for _, m := range s.msgs {
			if strings.EqualFold(m.To, to) {
				seen++
				if seen == n {
					s.mu.Unlock()
					return m
				}
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no message %d to %s", n, to)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline, not a fixed wait
	}
}

var (
	linkRe = regexp.MustCompile(`http://\S+/auth/v1/verify\?\S+`)
	codeRe = regexp.MustCompile(`code:? (\d{6})`)
)

func (m capturedMail) link(t *testing.T) string {
	t.Helper()
	l := linkRe.FindString(strings.ReplaceAll(m.Data, "\r\n", "\n"))
	if l == "" {
		t.Fatalf("no link in %q", m.Data)
	}
	return l
}

func (m capturedMail) code(t *testing.T) string {
	t.Helper()
	c := codeRe.FindStringSubmatch(m.Data)
	if c == nil {
		t.Fatalf("no code in %q", m.Data)
	}
	return c[1]
}

// env is one project's auth service behind an HTTP server.
type env struct {
	svc     *Service
	srv     *httptest.Server
	db      *pgtest.DB
	sink    *smtpSink
	anon    string
	service string
	secret  string
}

func newEnv(t *testing.T, mutate func(*Config), opts ...Option) *env {
	t.Helper()
	return newEnvTB(t, mutate, opts...)
}

func newEnvTB(t testing.TB, mutate func(*Config), opts ...Option) *env {
	t.Helper()
	db := pgtest.NewDB(t, projectTemplate)
	sink := startSink(t)
	secret := "test-secret-" + strings.Repeat("x", 32)
	cfg := Config{BcryptCost: 4, SMTP: SMTPConfig{Host: "127.0.0.1", Port: sink.addr.Port, TLS: "none"}}
	if mutate != nil {
		mutate(&cfg)
	}
	svc := New(cfg, fakeTenants{secret: secret, db: db.Name, pool: db.Pool}, pgtest.Server(pgtest.Cluster(t)), slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})), opts...)
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	now := time.Now()
	anon, err := tenant.SignRoleKey(secret, tenant.DefaultRef, "anon", now)
	if err != nil {
		t.Fatal(err)
	}
	service, err := tenant.SignRoleKey(secret, tenant.DefaultRef, "service_role", now)
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, srv: srv, db: db, sink: sink, anon: anon, service: service, secret: secret}
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r resp) str(key string) string {
	v, _ := r.body[key].(string)
	return v
}

func (r resp) user() map[string]any {
	if u, ok := r.body["user"].(map[string]any); ok {
		return u
	}
	return r.body
}

// call sends a request with the anon key, and token as bearer when set.
func (e *env) call(t *testing.T, method, path, token string, body any) resp {
	t.Helper()
	return e.callKey(t, method, path, e.anon, token, body)
}

func (e *env) callKey(t *testing.T, method, path, apikey, token string, body any) resp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+"/auth/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if apikey != "" {
		req.Header.Set("apikey", apikey)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
	}
	return r
}

// want fails unless r has status and, when code is set, that error_code.
func (r resp) want(t *testing.T, status int, code string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if code != "" && r.str("error_code") != code {
		t.Fatalf("error_code %q, want %q: %s", r.str("error_code"), code, r.raw)
	}
	return r
}

// signUp creates a confirmed user (auto-confirm) and returns its session.
func (e *env) signUp(t *testing.T, email, password string) resp {
	t.Helper()
	return e.call(t, "POST", "/signup", "", map[string]any{"email": email, "password": password}).want(t, 200, "")
}
