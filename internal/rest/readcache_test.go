package rest

import (
	"context"
	"net/http"
	"testing"

	"github.com/magflock/mobo/internal/authn"
)

// TestReadCache: a read answered from the compiled-read cache answers as a
// fresh one would — each header the parser reads still counts, each
// request is still authorised and runs under its own role.
func TestReadCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	const path = "/users?select=id&order=id"
	for range 2 { // the second round is served from the cache
		runScenarios(t, e, []scenario{
			{name: "plain", path: path, status: 200, want: `[{"id":1},{"id":2},{"id":3}]`, headers: map[string]string{"Content-Range": "0-2/*"}},
			{name: "count", path: path, header: map[string]string{"Prefer": "count=exact"}, status: 200, headers: map[string]string{"Content-Range": "0-2/3"}},
			{name: "range", path: path, header: map[string]string{"Range": "1-1"}, status: 200, want: `[{"id":2}]`},
			{name: "object", path: path, header: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 406, has: []string{"PGRST116"}},
			{name: "csv", path: path, header: map[string]string{"Accept": "text/csv"}, status: 200, headers: map[string]string{"Content-Type": "text/csv; charset=utf-8"}},
			{name: "profile", path: path, header: map[string]string{"Accept-Profile": "nope"}, status: 406, has: []string{"PGRST106"}},
			{name: "rpc", path: "/rpc/add?a=1&b=2", status: 200, want: `3`},
			{name: "head", method: "HEAD", path: path, status: 200},
		})
	}
	if e.srv.projects["default"].current().reads.get(readKey(mustRequest(t, "GET", e.url+path), "/users")) == nil {
		t.Error("the read was not cached")
	}
	// The authorizer is asked at every request, cached or not.
	e.srv.opts.Authorizer = denyUsers{}
	e.check(t, scenario{path: path, status: 403, has: []string{`"code":"42501"`}})
}

type denyUsers struct{}

func (denyUsers) Authorize(_ context.Context, _ *authn.Principal, a authn.Action) error {
	if a.Relation == "users" {
		return authn.ErrForbidden
	}
	return nil
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
