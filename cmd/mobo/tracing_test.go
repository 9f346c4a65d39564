package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// TestServeTracing: with [tracing] set, mobo serve traces an API request
// from the gateway through the gate to its SQL, answers its trace id,
// logs it, and flushes the spans when it stops.
func TestServeTracing(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.New(t)
	dir := dataDir(t)
	conf := filepath.Join(dir, "mobo.toml")
	if err := os.WriteFile(conf, []byte("[tracing]\nendpoint = \""+rcv.URL()+"\"\nsample_ratio = 1.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, "--config", conf, "--log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, clusterURL(t, dir, "proj_default"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `create table items (id int primary key); insert into items values (1); grant select on items to anon`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	anon := s.keys(t)["anon key"]
	var tid string
	for deadline := time.Now().Add(20 * time.Second); ; { // the table reaches the schema cache by notification
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/rest/v1/items?id=eq.1", nil)
		req.Header.Set("apikey", anon)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			tid = res.Header.Get("X-Trace-Id")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /rest/v1/items: %d", res.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(tid) != 32 {
		t.Fatalf("X-Trace-Id %q", tid)
	}
	s.stop(t, syscall.SIGTERM) // flushes the spans
	names := map[string]bool{}
	for _, sp := range rcv.Spans() {
		if sp.TraceID == tid {
			names[sp.Name] = true
		}
	}
	for _, want := range []string{"GET /rest/v1/{relation}", "gate.authenticate", "gate.authorize", "gate.acquire", "SELECT public.items", "response"} {
		if !names[want] {
			t.Errorf("no span %q in trace %s; its spans: %v", want, tid, names)
		}
	}
	if !strings.Contains(s.out.String(), `"trace_id":"`+tid+`"`) {
		t.Errorf("no log line with trace_id %s", tid)
	}
}
