package rest

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
)

// TestReadCache: a read answered from the compiled-read cache answers as a
// fresh one would — each header the parser reads still counts, each
// request is still authorised and runs under its own role.
func TestReadCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(o *envOptions) { o.gate.Roles = denyUsers{} })
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
	e.waitCached(t, path, "/users", "select=id&order=id")
	// The gate is asked at every request, cached or not: a principal whose
	// roles may not read users is refused the cached read.
	withRoles := token(t, jwt.MapClaims{"role": "anon", "app_metadata": map[string]any{"roles": []string{"no-users"}}})
	e.check(t, scenario{path: path, as: withRoles, status: 403, has: []string{`"code":"42501"`}})
	e.check(t, scenario{path: path, status: 200, want: `[{"id":1},{"id":2},{"id":3}]`})
}

type denyUsers struct{}

func (denyUsers) AuthorizeRoles(_ context.Context, _ string, _ *gate.Principal, a gate.Action) error {
	if a.Relation == "users" {
		return gate.ErrForbidden
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

// TestReadShapes: reads that differ only in simple filters' operands share
// one compiled statement, and each still gets its own rows.
func TestReadShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `insert into users (name, email) values ('Ada Lovelace', 'a&b@example.com'), ('x+y', null)`); err != nil {
		t.Fatal(err)
	}
	userA := token(t, jwt.MapClaims{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000a"})
	userB := token(t, jwt.MapClaims{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000b"})
	for round := range 2 {
		runScenarios(t, e, []scenario{
			{name: "pk 1", path: "/users?select=name&id=eq.1", status: 200, want: `[{"name":"Ada"}]`},
			{name: "pk 2", path: "/users?select=name&id=eq.2", status: 200, want: `[{"name":"Brian"}]`},
			{name: "pk none", path: "/users?select=name&id=eq.99", status: 200, want: `[]`},
			{name: "bad operand", path: "/users?select=name&id=eq.x" + strconv.Itoa(round), status: 400, has: []string{`"code":"22P02"`}},
			{name: "not", path: "/users?select=id&id=not.eq.1&id=lte.3&order=id", status: 200, want: `[{"id":2},{"id":3}]`},
			{name: "not other", path: "/users?select=id&id=not.eq.2&id=lte.3&order=id", status: 200, want: `[{"id":1},{"id":3}]`},
			{name: "range ops", path: "/users?select=id&id=gt.1&id=lt.3", status: 200, want: `[{"id":2}]`},
			{name: "encoded space", path: "/users?select=id&name=eq.Ada%20Lovelace", status: 200, want: `[{"id":4}]`},
			{name: "plus is a space", path: "/users?select=id&name=eq.Ada+Lovelace", status: 200, want: `[{"id":4}]`},
			{name: "encoded plus", path: "/users?select=id&name=eq.x%2By", status: 200, want: `[{"id":5}]`},
			{name: "encoded ampersand", path: "/users?select=id&email=eq.a%26b@example.com", status: 200, want: `[{"id":4}]`},
			{name: "empty operand", path: "/users?select=id&email=eq.", status: 200, want: `[]`},
			{name: "with in", path: "/users?select=id&id=in.(1,2)&name=eq.Brian", status: 200, want: `[{"id":2}]`},
			{name: "like is its own", path: "/users?select=id&name=like.Ada*&order=id", status: 200, want: `[{"id":1},{"id":4}]`},
			{name: "neq", path: "/users?select=id&manager_id=neq.1", status: 200, want: `[]`},
			{name: "rls user a", path: "/todos?select=task&user_id=eq.00000000-0000-0000-0000-00000000000a&order=id", as: userA, status: 200, want: `[{"task":"a1"},{"task":"a2"}]`},
			{name: "rls user b sees none of a's", path: "/todos?select=task&user_id=eq.00000000-0000-0000-0000-00000000000a&order=id", as: userB, status: 200, want: `[]`},
			{name: "rls user b", path: "/todos?select=task&user_id=eq.00000000-0000-0000-0000-00000000000b", as: userB, status: 200, want: `[{"task":"b1"}]`},
		})
	}
	e.waitCached(t, "/users?select=name&id=eq.7", "/users", "select=name&id=eq.\x02")
}

func TestReadShape(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, shape string
		operands     []string
	}{
		{"id=eq.1", "id=eq.\x02", []string{"1"}},
		{"select=a,b&id=eq.1&name=not.neq.x%20y", "select=a,b&id=eq.\x02&name=not.neq.\x02", []string{"1", "x y"}},
		{"a=gt.1;b=lte.2&order=id&limit=3", "a=gt.\x02;b=lte.\x02&order=id&limit=3", []string{"1", "2"}},
		{"id=in.(1,2)", "", nil},
		{"id=like.a*", "", nil},
		{"posts.id=eq.1", "", nil},
		{"id=eq(any).{1,2}", "", nil},
		{"select=eq.1", "", nil},
		{"id=eq.%02", "id=eq.\x02", []string{"\x02"}},
		{"id=eq.\x02", "", nil},
		{"", "", nil},
	} {
		shape, ops := readShape(c.query)
		if shape != c.shape || !slices.Equal(ops, c.operands) {
			t.Errorf("readShape(%q) = %q %q, want %q %q", c.query, shape, ops, c.shape, c.operands)
		}
	}
}

// waitCached sends path until its read, keyed by target and query, is in
// the current snapshot's cache (a reload may replace the snapshot, and its
// cache, between a request and the look).
func (e *env) waitCached(t *testing.T, path, target, query string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.check(t, scenario{path: path, status: 200})
		key := readKey(mustRequest(t, "GET", e.url+path), target, query)
		sc, err := e.srv.schema(t.Context(), "default")
		if err != nil {
			t.Fatal(err)
		}
		if sc.reads.get(key) != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not cached", path)
		}
	}
}

// FuzzReadShape: a shape with its operands put back reads as the query it
// came from, so a cached shape never answers a different request.
func FuzzReadShape(f *testing.F) {
	for _, s := range []string{"id=eq.1", "select=a&id=not.eq.x%20y;b=lte.2", "a=eq.%26&b=eq.+", "id=in.(1)", "x.y=eq.1", "=eq.1", "id=eq.%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		shape, ops := readShape(q)
		if shape == "" {
			if ops != nil {
				t.Fatalf("operands without a shape: %q", ops)
			}
			return
		}
		var b strings.Builder
		rest := shape
		for _, op := range ops {
			before, after, ok := strings.Cut(rest, slotMark)
			if !ok {
				t.Fatalf("shape %q has fewer slots than %d operands", shape, len(ops))
			}
			b.WriteString(before)
			b.WriteString(url.QueryEscape(op))
			rest = after
		}
		if strings.Contains(rest, slotMark) {
			t.Fatalf("shape %q has more slots than %d operands", shape, len(ops))
		}
		b.WriteString(rest)
		if got, want := decodeQuery(b.String()), decodeQuery(q); !slices.Equal(got, want) {
			t.Fatalf("query %q: refilled shape %q reads as %v, want %v", q, b.String(), got, want)
		}
	})
}
