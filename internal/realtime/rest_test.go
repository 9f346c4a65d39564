package realtime

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/rest"
	"github.com/magflock/mobo/internal/schemacache"
)

// TestPostgresChangesFromREST writes through the REST API (mounted next to
// realtime, as mobo serve does) and checks that the writes reach the
// subscribed sockets, each user only their own rows.
func TestPostgresChangesFromREST(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL + `
		alter table todos enable row level security;
		create policy own on todos for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());`)
	pools := superPools{e.tenants.Projects(), e.srv}
	cat := schemacache.New(schemacache.Options{Pools: pools, Exposed: rest.ExposedSchemas(rest.Config{}, nil)})
	restSrv := rest.New(rest.Options{
		Catalog: cat,
		Gate:    gate.New(gate.Options{Authenticator: &gate.SecretAuthenticator{Secret: e.tenants.Projects().JWTSecret, AnonymousRole: "anon"}, Pools: pools}),
	})
	if err := cat.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := restSrv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/realtime/v1/", e.rt.Handler())
	mux.Handle("/rest/v1/", restSrv.Handler())
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := restSrv.Stop(ctx); err != nil {
			t.Error(err)
		}
		if err := cat.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	e.url = "ws" + strings.TrimPrefix(hs.URL, "http") + "/realtime/v1/websocket"

	const alice, bob = "00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000b1"
	anonKey := e.token("anon", "")
	call := func(method, path, user string, body any) json.RawMessage {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, hs.URL+path, strings.NewReader(string(mustJSON(body))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("apikey", anonKey)
		req.Header.Set("Authorization", "Bearer "+e.token("authenticated", user))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", "return=representation")
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out
	}
	subscribe := func(user string) *client {
		c := e.dial(anonKey, "2.0.0")
		c.join("realtime:rest", map[string]any{
			"postgres_changes": []map[string]any{{"event": "*", "schema": "public", "table": "todos"}},
		}, e.token("authenticated", user))
		return c
	}
	a, b := subscribe(alice), subscribe(bob)

	var rows []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(call(http.MethodPost, "/rest/v1/todos", alice, map[string]any{"owner": alice, "title": "alice via rest"}), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("insert answered %v %v", rows, err)
	}
	call(http.MethodPost, "/rest/v1/todos", bob, map[string]any{"owner": bob, "title": "bob via rest"})
	call(http.MethodPatch, "/rest/v1/todos?id=eq."+jsonNumber(rows[0].ID), alice, map[string]any{"done": true})

	ch := a.nextChange("realtime:rest")
	if ch.Data.Type != EventInsert || ch.Data.Record["title"] != "alice via rest" || ch.Data.Record["owner"] != alice {
		t.Errorf("alice's first change %+v", ch.Data)
	}
	// Bob's row, committed before the update, was withheld from alice.
	ch = a.nextChange("realtime:rest")
	if ch.Data.Type != EventUpdate || ch.Data.Record["done"] != true || ch.Data.Record["id"] != float64(rows[0].ID) {
		t.Errorf("alice's second change %+v", ch.Data)
	}
	if ch := b.nextChange("realtime:rest"); ch.Data.Type != EventInsert || ch.Data.Record["title"] != "bob via rest" {
		t.Errorf("bob's first change %+v", ch.Data)
	}
}

func jsonNumber(n int64) string { return string(mustJSON(n)) }
