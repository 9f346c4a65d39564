package graphql

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// TestDatabaseUnavailable: when no connection can be made, a request gets a
// 503 with Retry-After and a GraphQL error, never a 500.
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	pool := pgtest.UnreachablePool(t)
	gt := gate.New(gate.Options{Authenticator: &gate.SecretAuthenticator{Secret: func(string) (string, error) { return testSecret, nil }, AnonymousRole: "anon"}, Pools: poolProjects{pool}})
	_, _, gs := startAPIs(t, poolProjects{pool}, gt, Config{}, nil)
	hs := httptest.NewServer(gs.Handler())
	t.Cleanup(hs.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("apikey", token(t, jwt.MapClaims{"role": "anon"}))
	req.Header.Set("Content-Type", "application/json")
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "1" {
		t.Errorf("status %d, Retry-After %q; want 503 and 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

type overQuota struct{}

func (overQuota) OverQuota(string) bool { return true }

// TestOverQuota: over its size quota a project refuses GraphQL inserts and
// updates with a 403 saying why, and still takes deletes.
func TestOverQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(o *gate.Options) { o.Quota = overQuota{} })
	if _, err := e.db.Pool.Exec(t.Context(), "alter database "+pgx.Identifier{e.db.Name}.Sanitize()+" set default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	e.db.Pool.Reset()
	for _, q := range []string{
		`mutation { insertIntoaccountCollection(objects: [{name: "x", email: "x@example.com"}]) { affectedCount } }`,
		`mutation { updateaccountCollection(set: {name: "y"}, filter: {id: {eq: 1}}) { affectedCount } }`,
	} {
		if st, body := e.post(t, e.svc, q, nil); st != http.StatusForbidden || !strings.Contains(string(body), "over its size quota") {
			t.Errorf("%s: %d %s", q, st, body)
		}
	}
	if st, body := e.post(t, e.svc, `mutation { deleteFromcommentCollection(atMost: 100) { affectedCount } }`, nil); st != http.StatusOK || strings.Contains(string(body), `"errors"`) {
		t.Errorf("delete over quota: %d %s", st, body)
	}
}

// TestRawBodies: a body that is not valid UTF-8 (in a variable here) is a
// 400, as REST refuses the same bytes; a body over the limit is a 413.
func TestRawBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"invalid UTF-8", "{\"query\":\"query($n: String) { accountCollection(filter: {name: {eq: $n}}) { totalCount } }\",\"variables\":{\"n\":\"a\xffb\"}}", http.StatusBadRequest},
		{"too large", `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", int(DefaultConfig().MaxBodyBytes)) + `"}}`, http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url, strings.NewReader(tt.body))
		req.Header.Set("apikey", e.svc)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.status)
		}
	}
}
