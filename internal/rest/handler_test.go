package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/gate"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// scenario is one API call and what must come back.
type scenario struct {
	name    string
	method  string
	path    string // after /rest/v1, with the query string
	header  map[string]string
	body    string
	as      string // "anon" (default), "service", "none", or a raw token
	status  int
	want    string   // the whole JSON body, compared as JSON, when set
	has     []string // fragments the body must contain
	headers map[string]string
}

func (e *env) do(t *testing.T, sc scenario) (*http.Response, []byte) {
	t.Helper()
	method := sc.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if sc.body != "" {
		body = strings.NewReader(sc.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+sc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch sc.as {
	case "", "anon":
		req.Header.Set("apikey", e.anon)
	case "service":
		req.Header.Set("apikey", e.anon)
		req.Header.Set("Authorization", "Bearer "+e.svc)
	case "none":
	default:
		req.Header.Set("apikey", e.anon)
		req.Header.Set("Authorization", "Bearer "+sc.as)
	}
	for k, v := range sc.header {
		req.Header.Set(k, v)
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func (e *env) check(t *testing.T, sc scenario) {
	t.Helper()
	res, b := e.do(t, sc)
	if sc.status != 0 && res.StatusCode != sc.status {
		t.Errorf("status %d, want %d; body %s", res.StatusCode, sc.status, b)
	}
	if sc.want != "" {
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, b)
		}
		if err := json.Unmarshal([]byte(sc.want), &want); err != nil {
			t.Fatalf("bad want: %v", err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("body (-want +got):\n%s\nraw: %s", d, b)
		}
	}
	for _, h := range sc.has {
		if !bytes.Contains(b, []byte(h)) {
			t.Errorf("body lacks %q: %s", h, b)
		}
	}
	for k, v := range sc.headers {
		if got := res.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func runScenarios(t *testing.T, e *env, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			e.check(t, sc)
		})
	}
}

func TestReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Aggregates: true, Plan: true})
	runScenarios(t, e, []scenario{
		{
			name: "columns and order", path: "/users?select=id,name&order=id", status: 200,
			want: `[{"id":1,"name":"Ada"},{"id":2,"name":"Brian"},{"id":3,"name":"Cleo"}]`,
		},
		{
			name: "rename and cast", path: "/users?select=who:name,ident:id::text&id=eq.2", status: 200,
			want: `[{"who":"Brian","ident":"2"}]`,
		},
		{
			name: "json path", path: "/posts?select=id,b:data->a->>b,data->n&order=id&data->>n=gte.1", status: 200,
			want: `[{"id":1,"b":"x","n":1},{"id":2,"b":"y","n":2}]`,
		},
		{
			name: "many-to-one", path: "/posts?select=title,author:users!posts_author_fk(name)&id=eq.1", status: 200,
			want: `[{"title":"Hello world","author":{"name":"Ada"}}]`,
		},
		{
			name: "hint by column", path: "/posts?select=title,editor:users!editor_id(name)&id=eq.1", status: 200,
			want: `[{"title":"Hello world","editor":{"name":"Brian"}}]`,
		},
		{
			name: "fk column embed", path: "/posts?select=title,author_id(name)&id=eq.3", status: 200,
			want: `[{"title":"Brian writes","author_id":{"name":"Brian"}}]`,
		},
		{name: "ambiguous", path: "/posts?select=title,users(name)", status: 300, has: []string{`"code":"PGRST201"`}},
		{
			name: "one-to-many with nested order and limit", path: "/posts?select=id,comments(body)&id=eq.1&comments.order=id.desc&comments.limit=1", status: 200,
			want: `[{"id":1,"comments":[{"body":"great"}]}]`,
		},
		{name: "one-to-many empty", path: "/posts?select=id,comments(id)&id=eq.3", status: 200, want: `[{"id":3,"comments":[]}]`},
		{
			name: "many-to-many", path: "/posts?select=id,labels(name)&id=eq.1&labels.order=name", status: 200,
			want: `[{"id":1,"labels":[{"name":"go"},{"name":"sql"}]}]`,
		},
		{name: "one-to-one", path: "/users?select=name,profiles(bio)&id=eq.1", status: 200, want: `[{"name":"Ada","profiles":{"bio":"Mathematician"}}]`},
		{name: "self reference", path: "/users?select=name,manager:manager_id(name)&id=eq.2", status: 200, want: `[{"name":"Brian","manager":{"name":"Ada"}}]`},
		{
			name: "self reference reports", path: "/users?select=name,reports:users!manager_id(name)&id=eq.1&reports.order=id", status: 200,
			want: `[{"name":"Ada","reports":[{"name":"Brian"},{"name":"Cleo"}]}]`,
		},
		{name: "inner join", path: "/posts?select=id,comments!inner(id)&comments.body=eq.meh", status: 200, want: `[{"id":2,"comments":[{"id":3}]}]`},
		{
			name: "embedded null filter", path: "/posts?select=id,comments(id)&comments=not.is.null&order=id", status: 200,
			want: `[{"id":1,"comments":[{"id":1},{"id":2}]},{"id":2,"comments":[{"id":3}]}]`,
		},
		{name: "spread", path: "/posts?select=title,...users!posts_author_fk(author:name)&id=eq.2", status: 200, want: `[{"title":"Second post","author":"Ada"}]`},
		{
			name: "order by embedded", path: "/posts?select=id,author:users!posts_author_fk(name)&order=author(name).desc,id", status: 200,
			want: `[{"id":3,"author":{"name":"Brian"}},{"id":1,"author":{"name":"Ada"}},{"id":2,"author":{"name":"Ada"}}]`,
		},
		{name: "computed field", path: "/users?select=full_name&id=eq.1", status: 200, want: `[{"full_name":"Ada <ada@example.com>"}]`},
		{name: "computed relationship", path: "/users?select=name,latest_post(title)&id=eq.1", status: 200, want: `[{"name":"Ada","latest_post":{"title":"Second post"}}]`},
		{
			name: "aggregates", path: "/posts?select=published,count(),score.sum()&order=published", status: 200,
			want: `[{"published":false,"count":1,"sum":2.5},{"published":true,"count":2,"sum":1.5}]`,
		},
		{name: "view embeds its table's foreign keys", path: "/post_titles?select=title,users(name)&id=eq.1", status: 200, want: `[{"title":"Hello world","users":{"name":"Ada"}}]`},
		{name: "table embeds a view", path: "/users?select=name,post_titles(title)&id=eq.2", status: 200, want: `[{"name":"Brian","post_titles":[{"title":"Brian writes"}]}]`},
		{name: "view", path: "/post_titles?select=title&id=eq.3", status: 200, want: `[{"title":"Brian writes"}]`},
		{name: "matview", path: "/post_counts?select=n&author_id=eq.1", status: 200, want: `[{"n":2}]`},
		{name: "partitioned", path: "/events?select=what", status: 200, want: `[{"what":"launch"}]`},
		{
			name: "range header and count", path: "/users?select=id&order=id", header: map[string]string{"Range": "0-1", "Prefer": "count=exact"}, status: 206,
			want: `[{"id":1},{"id":2}]`, headers: map[string]string{"Content-Range": "0-1/3"},
		},
		{
			name: "limit offset", path: "/users?select=id&order=id&limit=1&offset=1", status: 200, want: `[{"id":2}]`,
			headers: map[string]string{"Content-Range": "1-1/*"},
		},
		{name: "offset past the end", path: "/users?select=id&offset=10", header: map[string]string{"Prefer": "count=exact"}, status: 416, has: []string{"PGRST103"}},
		{name: "planned count", path: "/users?select=id&limit=1", header: map[string]string{"Prefer": "count=planned"}, status: 206},
		{name: "object", path: "/users?select=name&id=eq.1", header: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 200, want: `{"name":"Ada"}`},
		{
			name: "object of many", path: "/users?select=name", header: map[string]string{"Accept": "application/vnd.pgrst.object+json"}, status: 406,
			want: `{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 3 rows","hint":null}`,
		},
		{name: "nulls stripped", path: "/users?select=name,email&id=eq.3", header: map[string]string{"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}, status: 200, want: `[{"name":"Cleo"}]`},
		{
			name: "csv", path: "/users?select=id,name,email&order=id", header: map[string]string{"Accept": "text/csv"}, status: 200,
			has: []string{"id,name,email\n1,Ada,ada@example.com\n2,Brian,brian@example.com\n3,Cleo,"},
		},
		{name: "geojson without postgis", path: "/users", header: map[string]string{"Accept": "application/geo+json"}, status: 406},
		{name: "plan", path: "/users?id=eq.1", header: map[string]string{"Accept": "application/vnd.pgrst.plan"}, status: 200, has: []string{"Scan"}},
		{
			name: "unknown table", path: "/userz", status: 404,
			want: `{"code":"PGRST205","message":"Could not find the table 'public.userz' in the schema cache","details":null,"hint":"Perhaps you meant the table 'public.users'"}`,
		},
		{name: "unknown column", path: "/users?select=nme", status: 400, has: []string{`"code":"42703"`, `Perhaps you meant to reference the column \"users.name\".`}},
		{name: "unknown relationship", path: "/users?select=*,commentz(*)", status: 400, has: []string{`"code":"PGRST200"`, `Perhaps you meant 'comments'`}},
		{name: "bad cast", path: "/users?select=id::nope", status: 400, has: []string{`"code":"42704"`}},
		{name: "parse error", path: "/users?select=id,", status: 400, has: []string{`"code":"PGRST100"`}},
		{name: "bad value", path: "/users?id=eq.abc", status: 400, has: []string{`"code":"22P02"`}},
		{name: "aggregates disabled elsewhere", path: "/users?select=id.sum()", status: 200},
		{name: "unknown schema", path: "/users", header: map[string]string{"Accept-Profile": "private"}, status: 406, has: []string{"PGRST106"}},
		{
			name: "cors preflight", method: http.MethodOptions, path: "/users", as: "none",
			header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "apikey, authorization"}, status: 200,
			headers: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "apikey, authorization"},
		},
		{name: "cors", path: "/users?id=eq.1", header: map[string]string{"Origin": "https://app.example"}, status: 200, headers: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{name: "options", method: http.MethodOptions, path: "/users", status: 200, headers: map[string]string{"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"}},
		{name: "timezone", path: "/rpc/user_count", header: map[string]string{"Prefer": "timezone=UTC"}, status: 200},
		{name: "head", method: http.MethodHead, path: "/users", status: 200},
		{name: "no ORDER BY unless asked", path: "/users?select=id&id=lt.3", status: 200},
	})
}

func TestFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ids := func(q string, want string) scenario {
		return scenario{name: q, path: "/posts?select=id&order=id&" + q, status: 200, want: want}
	}
	runScenarios(t, e, []scenario{
		ids("id=eq.1", `[{"id":1}]`),
		ids("id=neq.1", `[{"id":2},{"id":3}]`),
		ids("id=gt.1&id=lte.2", `[{"id":2}]`),
		ids("id=lt.2", `[{"id":1}]`),
		ids("id=gte.3", `[{"id":3}]`),
		ids("title=like.*post", `[{"id":2}]`),
		ids("title=ilike.hello*", `[{"id":1}]`),
		ids("title=match.^B", `[{"id":3}]`),
		ids("title=imatch.^b", `[{"id":3}]`),
		ids("id=in.(1,3)", `[{"id":1},{"id":3}]`),
		ids("id=not.in.(1,3)", `[{"id":2}]`),
		ids("body=is.null", `[{"id":2}]`),
		ids("published=is.true", `[{"id":1},{"id":3}]`),
		ids("body=isdistinct.first", `[{"id":2},{"id":3}]`),
		ids("tsv=fts(english).world", `[{"id":1}]`),
		ids("tsv=plfts.hello%20world", `[{"id":1}]`),
		ids("tsv=phfts(english).hello%20world", `[{"id":1}]`),
		ids("tsv=wfts.brian%20or%20second", `[{"id":2},{"id":3}]`),
		ids("tags=cs.{news}", `[{"id":1},{"id":2}]`),
		ids("tags=cd.{news,intro}", `[{"id":1},{"id":2},{"id":3}]`),
		ids("tags=ov.{intro}", `[{"id":1}]`),
		ids("data=cs.{\"n\":2}", `[{"id":2}]`),
		ids("id=eq(any).{1,2}", `[{"id":1},{"id":2}]`),
		ids("title=like(all).{*o*,*e*}", `[{"id":1},{"id":2}]`),
		ids("or=(id.eq.1,and(published.is.false,title.like.Sec*))", `[{"id":1},{"id":2}]`),
		ids("not.or=(id.eq.1,id.eq.2)", `[{"id":3}]`),
		ids("and=(id.gt.1,or(body.is.null,body.eq.hi))", `[{"id":2},{"id":3}]`),
		ids("data->a->>b=eq.y", `[{"id":2}]`),
		ids("data->n=gt.1", `[{"id":2}]`),
		{name: "range operators", path: "/todos?select=id", as: "service", status: 200},
		{name: "sl", path: "/todos?select=id&during=sl.[10,20)", as: "service", status: 200, want: `[]`},
		{name: "sr nxl nxr adj", path: "/todos?select=id&during=sr.[10,20)&during=nxl.[1,2)&during=nxr.[1,2)&during=adj.[1,2)", as: "service", status: 200, want: `[]`},
		{name: "embedded filter", path: "/posts?select=id,comments(body)&comments.user_id=eq.3&id=eq.1", status: 200, want: `[{"id":1,"comments":[{"body":"great"}]}]`},
		{
			name: "embedded logic", path: "/posts?select=id,comments(id)&comments.or=(id.eq.1,id.eq.3)&order=id", status: 200,
			want: `[{"id":1,"comments":[{"id":1}]},{"id":2,"comments":[{"id":3}]},{"id":3,"comments":[]}]`,
		},
	})
}

func TestWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{TxOverrides: true})
	rep := map[string]string{"Prefer": "return=representation"}
	runScenarios(t, e, []scenario{
		{name: "insert one", method: "POST", path: "/labels?select=name", body: `{"name":"rust"}`, header: rep, status: 201, want: `[{"name":"rust"}]`},
		{name: "insert minimal", method: "POST", path: "/labels", body: `{"name":"zig"}`, status: 201, headers: map[string]string{"Content-Length": "0"}},
		{
			name: "insert headers-only", method: "POST", path: "/labels", body: `{"name":"c"}`, header: map[string]string{"Prefer": "return=headers-only"}, status: 201,
			headers: map[string]string{"Location": "/labels?id=eq.5"},
		},
		{name: "insert many", method: "POST", path: "/labels?select=name&order=name", body: `[{"name":"a1"},{"name":"a2"}]`, header: rep, status: 201, want: `[{"name":"a1"},{"name":"a2"}]`},
		{name: "keys must match", method: "POST", path: "/labels", body: `[{"name":"b1"},{"id":99}]`, status: 400, has: []string{"PGRST102", "All object keys must match"}},
		{name: "columns", method: "POST", path: "/labels?columns=name&select=name", body: `[{"name":"c1","bogus":1}]`, header: rep, status: 201, want: `[{"name":"c1"}]`},
		{
			name: "unknown column", method: "POST", path: "/labels", body: `{"nam":"x"}`, status: 400,
			want: `{"code":"PGRST204","message":"Could not find the 'nam' column of 'labels' in the schema cache","details":null,"hint":null}`,
		},
		{name: "duplicate", method: "POST", path: "/labels", body: `{"name":"go"}`, status: 409, has: []string{`"code":"23505"`}},
		{name: "not null", method: "POST", path: "/labels", body: `{"name":null}`, status: 400, has: []string{`"code":"23502"`}},
		{name: "invalid json", method: "POST", path: "/labels", body: `{"name":`, status: 400, has: []string{"PGRST102"}},
		{
			name: "missing default", method: "POST", path: "/posts?columns=title,published&select=title,published", body: `[{"title":"t"}]`,
			header: map[string]string{"Prefer": "return=representation,missing=default"}, status: 201, want: `[{"title":"t","published":false}]`,
		},
		{
			name: "upsert merge", method: "POST", path: "/labels?on_conflict=name&select=name", body: `[{"name":"go"},{"name":"new"}]`,
			header: map[string]string{"Prefer": "return=representation,resolution=merge-duplicates"}, status: 201, want: `[{"name":"go"},{"name":"new"}]`,
		},
		{
			name: "upsert ignore", method: "POST", path: "/labels?on_conflict=name&select=name", body: `[{"name":"go"}]`,
			header: map[string]string{"Prefer": "return=representation,resolution=ignore-duplicates"}, status: 201, want: `[]`,
		},
		{
			name: "patch", method: "PATCH", path: "/users?id=eq.3&select=name,email", body: `{"email":"cleo@example.com"}`, header: rep, status: 200,
			want: `[{"name":"Cleo","email":"cleo@example.com"}]`,
		},
		{name: "patch minimal", method: "PATCH", path: "/users?id=eq.3", body: `{"name":"Cleo"}`, status: 204, headers: map[string]string{"Content-Range": "0-0/*"}},
		{
			name: "patch with embed", method: "PATCH", path: "/posts?id=eq.3&select=id,author:users!posts_author_fk(name)", body: `{"body":"x"}`, header: rep, status: 200,
			want: `[{"id":3,"author":{"name":"Brian"}}]`,
		},
		{name: "put", method: "PUT", path: "/labels?id=eq.100&select=id,name", body: `{"id":100,"name":"hundred"}`, header: rep, status: 200, want: `[{"id":100,"name":"hundred"}]`},
		{name: "put mismatch", method: "PUT", path: "/labels?id=eq.100", body: `{"id":101,"name":"x"}`, status: 400, has: []string{"PGRST115"}},
		{name: "put without pk filter", method: "PUT", path: "/labels?name=eq.x", body: `{"id":101,"name":"x"}`, status: 405, has: []string{"PGRST105"}},
		{name: "delete", method: "DELETE", path: "/labels?name=eq.zig&select=name", header: rep, status: 200, want: `[{"name":"zig"}]`},
		{name: "delete none", method: "DELETE", path: "/labels?name=eq.nothing", status: 204},
		{name: "max affected", method: "DELETE", path: "/comments?id=gt.0", header: map[string]string{"Prefer": "handling=strict,max-affected=1"}, status: 400, has: []string{"PGRST124"}},
		{name: "max affected rolled back", path: "/comments?select=id&order=id", status: 200, want: `[{"id":1},{"id":2},{"id":3}]`},
		{
			name: "tx rollback", method: "DELETE", path: "/comments?id=eq.1", header: map[string]string{"Prefer": "tx=rollback"}, status: 204,
			headers: map[string]string{"Preference-Applied": "tx=rollback"},
		},
		{name: "tx rolled back", path: "/comments?select=id&id=eq.1", status: 200, want: `[{"id":1}]`},
		{
			name: "object on write", method: "PATCH", path: "/comments?id=gt.0", body: `{"body":"z"}`,
			header: map[string]string{"Prefer": "return=representation", "Accept": "application/vnd.pgrst.object+json"}, status: 406, has: []string{"PGRST116"},
		},
		{name: "object write rolled back", path: "/comments?select=body&id=eq.3", status: 200, want: `[{"body":"meh"}]`},
		{name: "limited delete", method: "DELETE", path: "/comments?order=id.desc&limit=1&select=id", header: rep, status: 200, want: `[{"id":3}]`},
		{name: "fk violation", method: "POST", path: "/comments", body: `{"post_id":999,"body":"x"}`, status: 409, has: []string{`"code":"23503"`}},
		{
			name: "csv body", method: "POST", path: "/labels?select=name", body: "name\ncsv1\ncsv2", header: map[string]string{"Content-Type": "text/csv", "Prefer": "return=representation"}, status: 201,
			want: `[{"name":"csv1"},{"name":"csv2"}]`,
		},
		{name: "insert into view", method: "POST", path: "/post_titles?select=title", body: `{"title":"via view"}`, header: rep, status: 201, want: `[{"title":"via view"}]`},
	})
}

func TestRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	runScenarios(t, e, []scenario{
		{name: "post named args", method: "POST", path: "/rpc/add", body: `{"a":1,"b":2}`, status: 200, want: `3`},
		{name: "default arg", method: "POST", path: "/rpc/add", body: `{"a":1}`, status: 200, want: `2`},
		{name: "get args", path: "/rpc/add?a=5&b=6", status: 200, want: `11`},
		{name: "setof filtered", path: "/rpc/posts_by?author=1&select=id,title&order=id.desc&id=gt.1", status: 200, want: `[{"id":2,"title":"Second post"}]`},
		{name: "setof embed", method: "POST", path: "/rpc/posts_by?select=id,comments(id)&order=id&limit=1", body: `{"author":1}`, status: 200, want: `[{"id":1,"comments":[{"id":1},{"id":2}]}]`},
		{name: "returns table", path: "/rpc/names?prefix=B", status: 200, want: `[{"id":2,"name":"Brian"}]`},
		{name: "no args", path: "/rpc/user_count", status: 200, want: `3`},
		{name: "null result", path: "/rpc/nothing", status: 200, want: `null`},
		{name: "single json param", method: "POST", path: "/rpc/echo", body: `{"x":[1,2]}`, status: 200, want: `{"x":[1,2]}`},
		{name: "void", method: "POST", path: "/rpc/touch", body: `{"p_id":1}`, status: 204},
		{name: "volatile on GET", path: "/rpc/touch?p_id=1", status: 405},
		{name: "claims in sql", path: "/rpc/whoami", status: 200, want: `{"role":"anon","sub":null,"method":"GET"}`},
		{name: "unknown function", method: "POST", path: "/rpc/ad", body: `{"a":1}`, status: 404, has: []string{"PGRST202", "Perhaps you meant to call the function public.add"}},
		{name: "unknown arg", method: "POST", path: "/rpc/add", body: `{"z":1}`, status: 404, has: []string{"PGRST202"}},
		{name: "raise PT code", method: "POST", path: "/rpc/fail_teapot", body: `{}`, status: 418, has: []string{"I am a teapot"}},
		{
			name: "raise PGRST", method: "POST", path: "/rpc/fail_custom", body: `{}`, status: 402,
			want: `{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan"}`, headers: map[string]string{"X-Powered-By": "Nerd Rage"},
		},
		{name: "put on rpc", method: "PUT", path: "/rpc/add", body: `{}`, status: 405, has: []string{"PGRST101"}},
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	userA := token(t, jwt.MapClaims{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000a"})
	userB := token(t, jwt.MapClaims{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000b"})
	expired := token(t, jwt.MapClaims{"role": "authenticated", "exp": 1000})
	runScenarios(t, e, []scenario{
		{name: "user a sees own rows", path: "/todos?select=task&order=id", as: userA, status: 200, want: `[{"task":"a1"},{"task":"a2"}]`},
		{name: "user b sees own rows", path: "/todos?select=task&order=id", as: userB, status: 200, want: `[{"task":"b1"}]`},
		{name: "anon sees nothing", path: "/todos?select=task", status: 200, want: `[]`},
		{name: "service role bypasses rls", path: "/todos?select=task&order=id", as: "service", status: 200, want: `[{"task":"a1"},{"task":"a2"},{"task":"b1"}]`},
		{name: "user b cannot update a's rows", method: "PATCH", path: "/todos?task=eq.a1", body: `{"done":true}`, as: userB, status: 204, headers: map[string]string{"Content-Range": "*/*"}},
		{name: "insert takes auth.uid default", method: "POST", path: "/todos?select=task", body: `{"task":"b2"}`, as: userB, header: map[string]string{"Prefer": "return=representation"}, status: 201, want: `[{"task":"b2"}]`},
		{name: "rls check violation", method: "POST", path: "/todos", body: `{"task":"x","user_id":"00000000-0000-0000-0000-00000000000a"}`, as: userB, status: 403, has: []string{`"code":"42501"`}},
		{name: "claims reach sql", path: "/rpc/whoami", as: userA, status: 200, want: `{"role":"authenticated","sub":"00000000-0000-0000-0000-00000000000a","method":"GET"}`},
		{
			name: "expired", path: "/users", as: expired, status: 401, want: `{"code":"PGRST303","message":"JWT expired","details":null,"hint":null}`,
			headers: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token", error_description="JWT expired"`},
		},
		{name: "forged", path: "/users", as: userA[:len(userA)-4] + "AAAA", status: 401, has: []string{`"code":"PGRST301"`}},
		{name: "garbage", path: "/users", as: "nope", status: 401, has: []string{`"code":"PGRST301"`}},
		{name: "no key runs as anon", path: "/users?select=id&id=eq.1", as: "none", status: 200, want: `[{"id":1}]`},
	})
	t.Run("anonymous disabled", func(t *testing.T) {
		e2 := newEnv(t, Config{DisableAnonymous: true})
		e2.check(t, scenario{path: "/users", as: "none", status: 401, has: []string{"PGRST302"}})
	})
	t.Run("permission denied for anon", func(t *testing.T) {
		if _, err := e.db.Pool.Exec(t.Context(), "revoke all on events from anon"); err != nil {
			t.Fatal(err)
		}
		e.check(t, scenario{path: "/events", status: 401, has: []string{`"code":"42501"`}})
	})
}

// denyWrites is an RBAC stage that lets only reads through.
type denyWrites struct{}

func (denyWrites) AuthorizeRoles(_ context.Context, _ string, _ *gate.Principal, a gate.Action) error {
	if a.Op != gate.OpRead {
		return fmt.Errorf("%s on %s.%s: %w", a.Op, a.Schema, a.Relation, gate.ErrForbidden)
	}
	return nil
}

func TestAuthorizerAndProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Schemas: []string{"public", "extra"}, Aggregates: true}, func(o *envOptions) { o.gate.Roles = denyWrites{} })
	// A principal carrying RBAC roles meets the roles stage; others don't.
	reader := token(t, jwt.MapClaims{"role": "anon", "app_metadata": map[string]any{"roles": []string{"reader"}}})
	if _, err := e.db.Pool.Exec(t.Context(), `create schema extra; grant usage on schema extra to anon;
		create table extra.things (id int primary key, name text); grant select on extra.things to anon;
		insert into extra.things values (1, 'thing')`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, _ := e.do(t, scenario{path: "/things", header: map[string]string{"Accept-Profile": "extra"}})
		if res.StatusCode == http.StatusOK || time.Now().After(deadline) {
			break
		}
		select {
		case <-e.cat.Reloaded("default"):
		case <-time.After(50 * time.Millisecond):
		}
	}
	runScenarios(t, e, []scenario{
		{
			name: "accept-profile", path: "/things?select=name", header: map[string]string{"Accept-Profile": "extra"}, status: 200,
			want: `[{"name":"thing"}]`, headers: map[string]string{"Content-Profile": "extra", "Content-Location": "/things?select=name"},
		},
		{name: "default schema", path: "/things", status: 404, has: []string{"PGRST205"}},
		{name: "roles refuse writes", method: "POST", path: "/labels", body: `{"name":"x"}`, as: reader, status: 403, has: []string{`"code":"42501"`}},
		{name: "roles allow reads", path: "/labels?select=name&id=eq.1", as: reader, status: 200, want: `[{"name":"go"}]`},
		{
			name: "aggregate with a to-one embed", path: "/posts?select=count(),author:users!posts_author_fk(name)", status: 200,
			has: []string{`{"count":2,"author":{"name": "Ada"}}`, `{"count":1,"author":{"name": "Brian"}}`},
		},
	})
}
