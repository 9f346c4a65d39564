package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// adminCall sends an admin API request with the server's admin key and
// decodes a JSON answer into out (when not nil).
func (s *server) adminCall(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.keys(t)["admin key"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0 // the server is gone (killed on purpose)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// A kill -9 of mobo in the middle of a project creation, then a restart,
// leaves a whole project (the restart finishes it) or none: never a row
// without a database, a database without its roles, or keys that do not
// work. The kill comes at two points: as soon as the project is recorded
// as "creating", and as soon as its database exists.
func TestKillDuringProjectCreation(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := startServer(t, dir)
	var conn struct {
		URL      string `json:"url"`
		Password string `json:"password"`
	}
	if code := s.adminCall(t, http.MethodGet, "/admin/v1/projects/default/connection", nil, &conn); code != http.StatusOK {
		t.Fatalf("default project connection: %d", code)
	}
	cfg, err := pgx.ParseConfig(conn.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = conn.Password

	points := []struct {
		name  string
		ready func(ctx context.Context, db *pgx.Conn, ref string) bool
	}{
		{"recorded", func(_ context.Context, _ *pgx.Conn, ref string) bool {
			var list []struct{ Ref, Status string }
			s.adminCall(t, http.MethodGet, "/admin/v1/projects", nil, &list)
			for _, p := range list {
				if p.Ref == ref && p.Status == "creating" {
					return true
				}
			}
			return false
		}},
		{"database made", func(ctx context.Context, db *pgx.Conn, ref string) bool {
			var n int
			_ = db.QueryRow(ctx, "select count(*) from pg_database where datname = $1", "proj_"+ref).Scan(&n)
			return n == 1
		}},
	}
	for i, point := range points {
		ref := fmt.Sprintf("crash%d", i)
		ctx := t.Context()
		db, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		created := make(chan int, 1)
		go func() {
			created <- s.adminCall(t, http.MethodPost, "/admin/v1/projects", map[string]string{"ref": ref}, nil)
		}()
		hit := false
		deadline := time.Now().Add(60 * time.Second)
	poll:
		for time.Now().Before(deadline) {
			select {
			case <-created:
				break poll // finished before we caught it: the check below still holds
			default:
			}
			if point.ready(ctx, db, ref) {
				hit = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		_ = db.Close(ctx)
		s.stop(t, syscall.SIGKILL)
		if !hit {
			t.Logf("%s: creation finished before the kill point was seen", point.name)
		}

		s = startServer(t, dir)
		var p struct {
			Status  string
			AnonKey string `json:"anon_key"`
		}
		code := s.adminCall(t, http.MethodGet, "/admin/v1/projects/"+ref, nil, &p)
		db, err = pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var dbs, roles int
		if err := db.QueryRow(ctx, `select (select count(*) from pg_database where datname = $1),
			(select count(*) from pg_roles where rolname in ($2, $3))`, "proj_"+ref, ref+"_authenticator", ref+"_owner").Scan(&dbs, &roles); err != nil {
			t.Fatal(err)
		}
		_ = db.Close(ctx)
		switch code {
		case http.StatusNotFound:
			if dbs != 0 || roles != 0 {
				t.Errorf("%s: project gone after restart but %d database(s) and %d role(s) left behind", point.name, dbs, roles)
			}
		case http.StatusOK:
			if p.Status != "active" || dbs != 1 || roles != 2 {
				t.Errorf("%s: after restart status %q, %d database(s), %d role(s); want active, 1, 2", point.name, p.Status, dbs, roles)
			}
			for _, path := range []string{"/p/" + ref + "/rest/v1/", "/p/" + ref + "/auth/v1/settings"} {
				req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
				req.Header.Set("apikey", p.AnonKey)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: GET %s with the recovered project's key = %d", point.name, path, resp.StatusCode)
				}
			}
		default:
			t.Fatalf("%s: GET project after restart = %d", point.name, code)
		}
	}
	s.stop(t, syscall.SIGINT)
}
