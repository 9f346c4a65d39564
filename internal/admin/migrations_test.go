package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type staticKey string

func (k staticKey) AdminKey(context.Context) (string, error) { return string(k), nil }

type statusErr struct{ status int }

func (e statusErr) Error() string   { return "client mistake" }
func (e statusErr) HTTPStatus() int { return e.status }

// fakeDatabases records calls and answers with err when set.
type fakeDatabases struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeDatabases) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeDatabases) AppliedMigrations(_ context.Context, ref string) ([]AppliedMigration, error) {
	return nil, f.record("applied " + ref)
}

func (f *fakeDatabases) MigrateUp(_ context.Context, ref string, files []MigrationFile, includeAll bool) ([]MigrationRef, error) {
	if err := f.record("up " + ref + " " + files[0].Name); err != nil {
		return nil, err
	}
	return []MigrationRef{{Version: "1", Name: "a"}}, nil
}

func (f *fakeDatabases) MigrateDown(_ context.Context, ref string, _ []MigrationFile, n int) ([]MigrationRef, error) {
	return nil, f.record("down " + ref + " " + strings.Repeat("x", n))
}

func (f *fakeDatabases) RepairMigrations(_ context.Context, ref string, _ []MigrationFile, status string, versions []string) error {
	return f.record("repair " + ref + " " + status + " " + strings.Join(versions, ","))
}

func (f *fakeDatabases) ProjectConnection(_ context.Context, ref string) (Connection, error) {
	return Connection{URL: "postgres://postgres@127.0.0.1:5432/proj_" + ref, Password: "pw"}, f.record("connection " + ref)
}

func TestDatabaseEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		key                      string // "" means the right key
		err                      error
		status                   int
		bodyHas                  []string
		call                     string // "" means none
	}{
		{name: "status", method: "GET", path: "/projects/shop/migrations", status: 200, bodyHas: []string{"[]"}, call: "applied shop"},
		{name: "no key", method: "GET", path: "/projects/shop/migrations", key: "wrong", status: 401},
		{name: "up", method: "POST", path: "/projects/shop/migrations/up", body: `{"files":[{"name":"1_a.sql","content":"select 1"}]}`, status: 200, bodyHas: []string{`"applied":[{"version":"1","name":"a"}]`}, call: "up shop 1_a.sql"},
		{name: "up with unknown field", method: "POST", path: "/projects/shop/migrations/up", body: `{"file":[]}`, status: 400, bodyHas: []string{"bad_json"}},
		{name: "down default count", method: "POST", path: "/projects/shop/migrations/down", body: `{"files":[]}`, status: 200, bodyHas: []string{`"reverted":[]`}, call: "down shop x"},
		{name: "down three", method: "POST", path: "/projects/shop/migrations/down", body: `{"files":[],"count":3}`, status: 200, call: "down shop xxx"},
		{name: "down zero", method: "POST", path: "/projects/shop/migrations/down", body: `{"count":0}`, status: 400},
		{name: "repair", method: "POST", path: "/projects/shop/migrations/repair", body: `{"status":"reverted","versions":["1","2"]}`, status: 200, call: "repair shop reverted 1,2"},
		{name: "repair bad status", method: "POST", path: "/projects/shop/migrations/repair", body: `{"status":"gone","versions":["1"]}`, status: 400},
		{name: "repair no versions", method: "POST", path: "/projects/shop/migrations/repair", body: `{"status":"applied"}`, status: 400},
		{name: "client error", method: "GET", path: "/projects/nope/migrations", err: statusErr{409}, status: 409, bodyHas: []string{"client mistake"}, call: "applied nope"},
		{name: "internal error", method: "GET", path: "/projects/shop/migrations", err: errors.New("secret detail"), status: 500, bodyHas: []string{"error_id"}, call: "applied shop"},
		{name: "connection", method: "GET", path: "/projects/shop/connection", status: 200, bodyHas: []string{`"password":"pw"`, `"url":"postgres://postgres@127.0.0.1:5432/proj_shop"`}, call: "connection shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbs := &fakeDatabases{err: tt.err}
			a := New(Options{Keys: staticKey("k"), Databases: dbs, Logger: slog.New(slog.DiscardHandler)})
			if err := a.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			key := tt.key
			if key == "" {
				key = "k"
			}
			req := httptest.NewRequest(tt.method, "/admin/v1"+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+key)
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.status, body)
			}
			compact := strings.ReplaceAll(string(body), " ", "")
			for _, want := range tt.bodyHas {
				if !strings.Contains(compact, strings.ReplaceAll(want, " ", "")) {
					t.Errorf("body lacks %s: %s", want, body)
				}
			}
			if strings.Contains(string(body), "secret detail") {
				t.Errorf("internal error text reached the client: %s", body)
			}
			var want []string
			if tt.call != "" {
				want = []string{tt.call}
			}
			if diff := cmp.Diff(want, dbs.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tt.path == "/projects/shop/connection" && rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("connection answer may be cached")
			}
		})
	}
}

// TestBodyLimits: a body over its limit is a 413, a malformed one a 400.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"name":"ok"}`, 200, ""},
		{`{"name":"` + strings.Repeat("x", 64) + `"}`, 413, "request_too_large"},
		{`{"name":`, 400, "bad_json"},
	} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var v struct{ Name string }
			if decodeAtMost(w, r, &v, 32) {
				w.WriteHeader(http.StatusOK)
			}
		})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(tt.body)))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.code) {
			t.Errorf("%.20s…: %d %s, want %d %s", tt.body, rec.Code, rec.Body.String(), tt.status, tt.code)
		}
	}
}
