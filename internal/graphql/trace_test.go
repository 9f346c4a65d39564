package graphql

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/gateway"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/tracing"
	"github.com/magflock/mobo/internal/tracing/tracingtest"
)

// TestTraceOfAQuery: a GraphQL request is traced through the same gateway
// and gate path as REST's: the server span, authentication,
// authorization, the connection wait, one SQL statement, the response.
func TestTraceOfAQuery(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.New(t)
	tp, err := tracing.New(tracing.Config{Endpoint: rcv.URL(), SampleRatio: 1}, tracing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t, template(t))
	gt := gate.New(gate.Options{
		Authenticator: &gate.SecretAuthenticator{Secret: func(string) (string, error) { return testSecret, nil }, AnonymousRole: "anon"},
		Pools:         poolProjects{db.Pool}, Tracer: tp.TracerProvider(),
	})
	_, _, gs := startAPIs(t, poolProjects{db.Pool}, gt, Config{}, nil)
	gw := gateway.New(gateway.Config{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	gw.SetTracer(tp.TracerProvider())
	gw.Handle("/graphql/v1", gs.Handler())
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Stop(context.Background()) })

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL()+"/graphql/v1",
		bytes.NewReader([]byte(`{"query":"{ accountCollection(first: 1) { edges { node { id } } } }"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token(t, jwt.MapClaims{"role": "service_role"}))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tid := res.Header.Get(gateway.HeaderTraceID)
	if res.StatusCode != http.StatusOK || len(tid) != 32 {
		t.Fatalf("status %d, X-Trace-Id %q", res.StatusCode, tid)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rcv.Wait(t, 10*time.Second, func(s []tracingtest.Span) bool { return len(s) >= 6 })
	byName := map[string]tracingtest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	server, ok := byName["POST /graphql/v1"]
	if !ok || server.TraceID != tid {
		t.Fatalf("no server span of trace %s: %v", tid, spans)
	}
	for _, name := range []string{"gate.authenticate", "gate.authorize", "gate.acquire", "SELECT public.account", "response"} {
		if s, ok := byName[name]; !ok || s.ParentID != server.SpanID {
			t.Errorf("span %q: %+v, want a child of the server span %s; spans: %v", name, s, server.SpanID, spans)
		}
	}
}
