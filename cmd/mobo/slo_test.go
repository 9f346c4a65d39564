package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/slo"
)

// TestSLOCommands runs a server whose one objective is a project's REST
// availability, makes that project answer 503s (paused), and checks that
// a signed notification reaches a webhook and that `mobo slo` shows,
// acknowledges and silences the alert.
func TestSLOCommands(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []slo.Notification
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(slo.HeaderSignature)
		ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
		var unix int64
		_, _ = fmt.Sscan(ts, &unix)
		if sig == "" || slo.Sign("hook-secret", time.Unix(unix, 0), body) != sig {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n slo.Notification
		if json.Unmarshal(body, &n) == nil {
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}
	}))
	defer hook.Close()

	dir := dataDir(t)
	cfg := filepath.Join(t.TempDir(), "mobo.toml")
	if err := os.WriteFile(cfg, []byte(`
[slo]
interval = "1s"

[[slo.objective]]
name = "shop-rest"
api = "rest"
project = "shop"
target = 0.999

[[slo.receiver]]
name = "oncall"
webhook = "`+hook.URL+`"
secret = "hook-secret"

[[slo.route]]
severity = "page"
receiver = "oncall"

[slo.group]
wait = "1s"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, "--config", cfg)
	mobo := func(args ...string) string {
		t.Helper()
		out, err := cli(dir, "", args...)
		if err != nil {
			t.Fatalf("mobo %v: %v\n%s", args, err, out)
		}
		return out
	}
	if out := mobo("config", "--config", cfg); strings.Contains(out, "hook-secret") {
		t.Errorf("mobo config prints the webhook's secret:\n%s", out)
	}
	createProject(t, dir, "shop")
	mobo("project", "pause", "shop")
	for range 50 {
		resp, err := http.Get(s.url + "/p/shop/rest/v1/notes")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("paused project answered %d", resp.StatusCode)
		}
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notification; mobo slo alerts:\n%s\nserver log:\n%s", mobo("slo", "alerts", "--all"), s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	first := got[0]
	mu.Unlock()
	if first.Status != "firing" || first.Receiver != "oncall" || len(first.Alerts) != 1 || first.Alerts[0].ID != "shop-rest:page" {
		t.Fatalf("notification: %+v", first)
	}

	if v := value(s.scrape(t, "/metrics"), "mobo_slo_alert_firing", "objective=shop-rest,severity=page"); v != 1 {
		t.Errorf("mobo_slo_alert_firing of shop-rest:page = %v, want 1", v)
	}
	out := mobo("slo", "status")
	if !strings.Contains(out, "shop-rest") || !strings.Contains(out, "99.9%") || !strings.Contains(out, "0%") {
		t.Errorf("mobo slo status:\n%s", out)
	}
	if out := mobo("slo", "alerts"); !strings.Contains(out, "shop-rest:page") || !strings.Contains(out, "firing") {
		t.Errorf("mobo slo alerts:\n%s", out)
	}
	if out := mobo("slo", "ack", "shop-rest:page", "--by", "ada", "--comment", "unpausing"); !strings.Contains(out, "acknowledged by ada") {
		t.Errorf("mobo slo ack:\n%s", out)
	}
	if out, err := cli(dir, "", "slo", "ack", "nope:page"); err == nil || !strings.Contains(out, "no alert") {
		t.Errorf("ack of no alert: %v\n%s", err, out)
	}
	out = mobo("slo", "silence", "--project", "shop", "--for", "1h", "--comment", "maintenance", "--json")
	var sil slo.Silence
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &sil); err != nil || sil.Project != "shop" {
		t.Fatalf("mobo slo silence: %v\n%s", err, out)
	}
	if out := mobo("slo", "silence", "--list"); !strings.Contains(out, sil.ID) || !strings.Contains(out, "project=shop") {
		t.Errorf("mobo slo silence --list:\n%s", out)
	}
	mobo("slo", "silence", "--expire", sil.ID)
	if out := mobo("slo", "silence", "--list"); strings.Contains(out, sil.ID) {
		t.Errorf("expired silence still listed:\n%s", out)
	}
	if out := mobo("slo", "history", "shop-rest:page"); !strings.Contains(out, "transition") || !strings.Contains(out, "ack") {
		t.Errorf("mobo slo history:\n%s", out)
	}
}
