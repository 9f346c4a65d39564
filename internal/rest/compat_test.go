package rest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// compatSQL adds to the fixture what the PostgREST-compatibility scenarios
// need: overloads, single unnamed parameters.
const compatSQL = `
create function unnamed_text(text) returns text language sql immutable as $$ select 'got ' || $1 $$;
create function unnamed_xml(xml) returns text language sql immutable as $$ select $1::text $$;
create function unnamed_bytea(bytea) returns text language sql immutable as $$ select encode($1, 'hex') $$;
create function unnamed_int(int) returns int language sql immutable as $$ select $1 $$;
create function named_json(data json) returns json language sql immutable as $$ select data $$;
create function ovl() returns int language sql immutable as $$ select 1 $$;
create function ovl(x int, y int) returns int language sql immutable as $$ select x + y $$;
create function ovl(json) returns json language sql immutable as $$ select $1 $$;
create function ovl(text) returns text language sql immutable as $$ select 'text ' || $1 $$;
create function ovl(bytea) returns text language sql immutable as $$ select encode($1, 'hex') $$;
create function same(arg int) returns text language sql immutable as $$ select 'int' $$;
create function same(arg xml) returns text language sql immutable as $$ select 'xml' $$;
create function same(arg text, num int default 0) returns text language sql immutable as $$ select 'text' $$;
create function uj(json) returns text language sql immutable as $$ select 'json' $$;
create function uj(jsonb) returns text language sql immutable as $$ select 'jsonb' $$;
create function defs(a int, b int default 2) returns int language sql immutable as $$ select a + b $$;
create function defs(a int) returns int language sql immutable as $$ select a $$;
create function sayhello(name text) returns text language sql immutable as $$ select 'Hello, ' || name $$;
`

// newCompatEnv is newEnv with compatSQL applied before the first request
// loads the schema cache.
func newCompatEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := newEnv(t, cfg)
	if _, err := e.db.Pool.Exec(t.Context(), compatSQL); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRPCResolution(t *testing.T) {
	t.Parallel()
	e := newCompatEnv(t, Config{})
	text := map[string]string{"Content-Type": "text/plain"}
	xml := map[string]string{"Content-Type": "text/xml"}
	octet := map[string]string{"Content-Type": "application/octet-stream"}
	runScenarios(t, e, []scenario{
		{name: "unnamed json takes the body", method: "POST", path: "/rpc/echo", body: `{"A":1,"B":2}`, status: 200, want: `{"A":1,"B":2}`},
		{name: "unnamed json takes an array", method: "POST", path: "/rpc/echo", body: `[1,2]`, status: 200, want: `[1,2]`},
		{name: "unnamed text", method: "POST", path: "/rpc/unnamed_text", header: text, body: "plain words", status: 200, want: `"got plain words"`},
		{name: "unnamed xml", method: "POST", path: "/rpc/unnamed_xml", header: xml, body: "<a>b</a>", status: 200, want: `"<a>b</a>"`},
		{name: "unnamed bytea", method: "POST", path: "/rpc/unnamed_bytea", header: octet, body: "\x00\x01\xff", status: 200, want: `"0001ff"`},
		{name: "invalid xml", method: "POST", path: "/rpc/unnamed_xml", header: xml, body: "<", status: 400, has: []string{`"code":"2200N"`}},
		{
			name: "named json param does not take the body", method: "POST", path: "/rpc/named_json", body: `{"A":1,"B":2,"C":3}`, status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.named_json(A, B, C) in the schema cache",
				"details":"Searched for the function public.named_json with parameters A, B, C or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{name: "named json param by name", method: "POST", path: "/rpc/named_json", body: `{"data":{"x":1}}`, status: 200, want: `{"x":1}`},
		{
			name: "single object", method: "POST", path: "/rpc/named_json", header: map[string]string{"Prefer": "params=single-object"},
			body: `{"A":1}`, status: 200, want: `{"A":1}`,
		},
		{
			name: "no json fallback", method: "POST", path: "/rpc/unnamed_int", body: `{"x":1,"y":2}`, status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.unnamed_int(x, y) in the schema cache",
				"details":"Searched for the function public.unnamed_int with parameters x, y or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{
			name: "no text fallback", method: "POST", path: "/rpc/unnamed_int", header: text, body: "a simple text", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.unnamed_int in the schema cache",
				"details":"Searched for the function public.unnamed_int with a single unnamed text parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{
			name: "no xml fallback", method: "POST", path: "/rpc/unnamed_int", header: xml, body: "<a/>", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.unnamed_int in the schema cache",
				"details":"Searched for the function public.unnamed_int with a single unnamed xml parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{
			name: "no bytea fallback", method: "POST", path: "/rpc/unnamed_int", header: octet, body: "\x01", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.unnamed_int in the schema cache",
				"details":"Searched for the function public.unnamed_int with a single unnamed bytea parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{name: "overload without args", method: "POST", path: "/rpc/ovl", body: `{}`, status: 200, want: `1`},
		{name: "overload with empty body", method: "POST", path: "/rpc/ovl", status: 200, want: `1`},
		{name: "overload by names", method: "POST", path: "/rpc/ovl", body: `{"x":1,"y":2}`, status: 200, want: `3`},
		{name: "overload falls back to json", method: "POST", path: "/rpc/ovl", body: `{"A":1}`, status: 200, want: `{"A":1}`},
		{name: "overload falls back to text", method: "POST", path: "/rpc/ovl", header: text, body: "abc", status: 200, want: `"text abc"`},
		{name: "overload falls back to bytea", method: "POST", path: "/rpc/ovl", header: octet, body: "\x0a", status: 200, want: `"0a"`},
		{name: "get never falls back", path: "/rpc/ovl", header: text, status: 200, want: `1`},
		{
			name: "form names no overload", method: "POST", path: "/rpc/ovl", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "a=1&b=2", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.ovl(a, b) in the schema cache",
				"details":"Searched for the function public.ovl with parameters a, b, but no matches were found in the schema cache.",
				"hint":"Perhaps you meant to call the function public.ovl(x, y)"}`,
		},
		{
			name: "same names, different types", path: "/rpc/same?arg=value", status: 300,
			want: `{"code":"PGRST203","message":"Could not choose the best candidate function between: public.same(arg => integer), public.same(arg => xml), public.same(arg => text, num => integer)",
				"details":null,"hint":"Try renaming the parameters or the function itself in the database so function overloading can be resolved"}`,
		},
		{name: "same names resolved by another name", path: "/rpc/same?arg=value&num=1", status: 200, want: `"text"`},
		{
			name: "two unnamed fallbacks", method: "POST", path: "/rpc/uj", body: `{"A":1}`, status: 300,
			want: `{"code":"PGRST203","message":"Could not choose the best candidate function between: public.uj( => json), public.uj( => jsonb)",
				"details":null,"hint":"Try renaming the parameters or the function itself in the database so function overloading can be resolved"}`,
		},
		{name: "a default makes two fit", method: "POST", path: "/rpc/defs", body: `{"a":1}`, status: 300, has: []string{`"code":"PGRST203"`, "public.defs(a => integer, b => integer), public.defs(a => integer)"}},
		{name: "the default's name picks one", method: "POST", path: "/rpc/defs", body: `{"a":1,"b":5}`, status: 200, want: `6`},
		{
			name: "unknown name", path: "/rpc/sayhell", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.sayhell without parameters in the schema cache",
				"details":"Searched for the function public.sayhell without parameters, but no matches were found in the schema cache.",
				"hint":"Perhaps you meant to call the function public.sayhello"}`,
		},
		{
			name: "near parameter name", path: "/rpc/sayhello?nam=Peter", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.sayhello(nam) in the schema cache",
				"details":"Searched for the function public.sayhello with parameter nam, but no matches were found in the schema cache.",
				"hint":"Perhaps you meant to call the function public.sayhello(name)"}`,
		},
		{
			name: "an extra argument", path: "/rpc/add?a=1&b=2&smthelse=blabla", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.add(a, b, smthelse) in the schema cache",
				"details":"Searched for the function public.add with parameters a, b, smthelse, but no matches were found in the schema cache.",
				"hint":"Perhaps you meant to call the function public.add(a, b)"}`,
		},
		{
			name: "no near overload", path: "/rpc/ovl?wrong_arg=value", status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.ovl(wrong_arg) in the schema cache",
				"details":"Searched for the function public.ovl with parameter wrong_arg, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{
			name: "single object without a json function", method: "POST", path: "/rpc/add", header: map[string]string{"Prefer": "params=single-object"}, body: `{"a":1}`, status: 404,
			want: `{"code":"PGRST202","message":"Could not find the function public.add in the schema cache",
				"details":"Searched for the function public.add with a single json/jsonb parameter, but no matches were found in the schema cache.",
				"hint":null}`,
		},
		{name: "invalid json", method: "POST", path: "/rpc/add", body: `{"a":`, status: 400, has: []string{`"code":"PGRST102"`}},
	})
}

// countSQL makes a table the planner knows the size of: analyzed, its
// estimate is exact.
const countSQL = `
create table big (id int primary key, even bool not null);
insert into big select g, g % 2 = 0 from generate_series(1, 5000) g;
analyze big;
create function big_rows() returns setof big language plpgsql stable rows 42 as $$ begin return query select * from big; end $$;
create function ints() returns setof int language sql immutable as $$ values (1), (2), (3) $$;
create function point() returns users language sql stable as $$ select * from users where id = 1 $$;
`

func TestCounts(t *testing.T) {
	t.Parallel()
	e := newCompatEnv(t, Config{MaxRows: 100})
	if _, err := e.db.Pool.Exec(t.Context(), countSQL); err != nil {
		t.Fatal(err)
	}
	count := func(c string) map[string]string { return map[string]string{"Prefer": "count=" + c} }
	cr := func(v string) map[string]string { return map[string]string{"Content-Range": v} }
	runScenarios(t, e, []scenario{
		{name: "exact on a scalar rpc", path: "/rpc/add?a=3&b=4", header: count("exact"), status: 200, want: `7`, headers: cr("0-0/1")},
		{name: "exact on a composite rpc", path: "/rpc/point?select=id", header: count("exact"), status: 200, want: `{"id":1}`, headers: cr("0-0/1")},
		{name: "no count on a scalar rpc", path: "/rpc/add?a=3&b=4", status: 200, want: `7`, headers: cr("0-0/*")},
		{name: "exact on a setof scalar rpc", path: "/rpc/ints", header: count("exact"), status: 200, want: `[1,2,3]`, headers: cr("0-2/3")},
		{name: "exact on a table", path: "/big?select=id&id=lte.3&order=id", header: count("exact"), status: 200, headers: cr("0-2/3")},
		{name: "planned", path: "/big?select=id&limit=1", header: count("planned"), status: 206, want: `[{"id":1}]`, headers: cr("0-0/5000")},
		{
			name: "planned names the preference", path: "/big?select=id&limit=1", header: count("planned"), status: 206,
			headers: map[string]string{"Preference-Applied": "count=planned"},
		},
		{name: "planned on a function", path: "/rpc/big_rows?select=id&limit=1", header: count("planned"), status: 206, headers: cr("0-0/42")},
		{name: "planned with a filter and an embed", path: "/users?select=id,posts!posts_author_fk(id)&id=eq.1", header: count("planned"), status: 200, headers: cr("0-0/1")},
		{name: "estimated under max-rows is exact", path: "/big?select=id&id=lte.3", header: count("estimated"), status: 200, headers: cr("0-2/3")},
		{name: "estimated past max-rows is planned", path: "/big?select=id&limit=1", header: count("estimated"), status: 206, headers: cr("0-0/5000")},
	})
	t.Run("estimated without max-rows is the larger", func(t *testing.T) {
		e2 := newCompatEnv(t, Config{})
		if _, err := e2.db.Pool.Exec(t.Context(), countSQL+"insert into big select g, true from generate_series(5001, 5500) g;"); err != nil {
			t.Fatal(err)
		}
		// The statistics say 5000 rows; PostgreSQL scales them by the
		// table's pages, so the estimate is near 5500: the exact count
		// is the larger or equal.
		res, _ := e2.do(t, scenario{path: "/big?select=id&limit=1", header: count("estimated")})
		_, total, _ := strings.Cut(res.Header.Get("Content-Range"), "/")
		if n, err := strconv.Atoi(total); err != nil || n < 5500 {
			t.Errorf("Content-Range %q, want a total of at least 5500", res.Header.Get("Content-Range"))
		}
	})
}

// csvSQL has text that needs quoting in every way a CSV field may.
const csvSQL = `
create table quoting (id int primary key, t text, b bool, arr text[], j jsonb, ts timestamp);
insert into quoting values
  (1, 'a,b', true, '{x,y}', '{"k": "v"}', '2024-01-02 03:04:05'),
  (2, 'say "hi"', false, '{}', null, null),
  (3, E'two\nlines', null, null, '[1]', null),
  (4, E'back\\slash', null, null, null, null),
  (5, 'two words', null, null, null, null),
  (6, '', null, null, null, null),
  (7, null, null, null, null, null),
  (8, 'plain', null, null, null, null);
`

func TestCSVOutput(t *testing.T) {
	t.Parallel()
	e := newCompatEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), csvSQL); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		want                     string
	}{
		{
			name: "record text quoting", path: "/quoting?order=id", status: 200,
			want: "id,t,b,arr,j,ts\n" +
				"1,\"a,b\",t,\"{x,y}\",\"{\"\"k\"\": \"\"v\"\"}\",\"2024-01-02 03:04:05\"\n" +
				"2,\"say \"\"hi\"\"\",f,{},,\n" +
				"3,\"two\nlines\",,,[1],\n" +
				"4,\"back\\\\slash\",,,,\n" +
				"5,\"two words\",,,,\n" +
				"6,\"\",,,,\n" +
				"7,,,,,\n" +
				"8,plain,,,,",
		},
		{name: "aliases name the header", path: "/quoting?select=key:id,text:t&id=eq.8", status: 200, want: "key,text\n8,plain"},
		{name: "no rows, no header", path: "/quoting?id=eq.0", status: 200, want: "\n"},
		{
			name: "an embedding is its JSON", path: "/posts?select=id,author:users!posts_author_fk(name)&id=eq.1", status: 200,
			want: "id,author\n1,\"{\"\"name\"\":\"\"Ada\"\"}\"",
		},
		{
			name: "representation of a write", method: "POST", path: "/quoting?select=id,t", body: `{"id":9,"t":"x y"}`,
			header: map[string]string{"Prefer": "return=representation"}, status: 201, want: "id,t\n9,\"x y\"",
		},
		{name: "a function's rows", path: "/rpc/names?prefix=B", status: 200, want: "id,name\n2,Brian"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			h := map[string]string{"Accept": "text/csv"}
			for k, v := range sc.header {
				h[k] = v
			}
			res, b := e.do(t, scenario{method: sc.method, path: sc.path, body: sc.body, header: h})
			if res.StatusCode != sc.status || string(b) != sc.want {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, b, sc.status, sc.want)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestWritesCompat(t *testing.T) {
	t.Parallel()
	e := newCompatEnv(t, Config{})
	prefer := func(p string) map[string]string { return map[string]string{"Prefer": p} }
	runScenarios(t, e, []scenario{
		{
			name: "merge duplicates on on_conflict", method: "POST", path: "/labels?on_conflict=name&select=name&order=name",
			body: `[{"name":"go"},{"name":"new"}]`, header: prefer("return=representation,resolution=merge-duplicates"), status: 201,
			want:    `[{"name":"go"},{"name":"new"}]`,
			headers: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation", "Content-Range": "*/*"},
		},
		{
			// Only updated: PostgREST answers 200, not 201.
			name: "merge duplicates on the primary key", method: "POST", path: "/labels?select=id,name", body: `{"id":1,"name":"golang"}`,
			header: prefer("resolution=merge-duplicates,return=representation"), status: 200, want: `[{"id":1,"name":"golang"}]`,
			headers: map[string]string{"Preference-Applied": "resolution=merge-duplicates, return=representation"},
		},
		{
			name: "merge duplicates minimal", method: "POST", path: "/labels", body: `{"id":1,"name":"go"}`,
			header: prefer("resolution=merge-duplicates"), status: 200, headers: map[string]string{"Preference-Applied": "resolution=merge-duplicates", "Content-Length": "0"},
		},
		{
			name: "merge duplicates of nothing", method: "POST", path: "/labels", body: `[]`,
			header: prefer("resolution=merge-duplicates,return=representation"), status: 200, want: `[]`,
		},
		{
			name: "ignore duplicates inserting nothing is still created", method: "POST", path: "/labels?select=id", body: `{"id":1,"name":"go"}`,
			header: prefer("resolution=ignore-duplicates,return=representation"), status: 201, want: `[]`,
		},
		{name: "merged", path: "/labels?select=name&id=eq.1", status: 200, want: `[{"name":"go"}]`},
		{
			name: "no key, plain insert", method: "POST", path: "/events?select=id", body: `{"id":1,"at":"2024-06-01","what":"again"}`,
			header: prefer("resolution=merge-duplicates,return=representation"), status: 201, want: `[{"id":1}]`,
			headers: map[string]string{"Preference-Applied": "return=representation"},
		},
		{
			name: "different keys with columns and missing=default", method: "POST", path: "/posts?columns=title,body,published&select=title,body,published",
			body:   `[{"title":"a"},{"title":"b","body":"x","published":true}]`,
			header: prefer("return=representation,missing=default"), status: 201,
			want:    `[{"title":"a","body":null,"published":false},{"title":"b","body":"x","published":true}]`,
			headers: map[string]string{"Preference-Applied": "missing=default, return=representation"},
		},
		{
			name: "different keys with columns are null", method: "POST", path: "/posts?columns=title,body&select=title,body",
			body: `[{"title":"c","body":"y"},{"title":"d"}]`, header: prefer("return=representation"), status: 201,
			want: `[{"title":"c","body":"y"},{"title":"d","body":null}]`,
		},
		{
			name: "different keys without columns", method: "POST", path: "/posts", body: `[{"title":"e"},{"title":"f","body":"z"}]`, status: 400,
			want: `{"code":"PGRST102","message":"All object keys must match","details":null,"hint":null}`,
		},
		{
			name: "invalid json", method: "POST", path: "/posts", body: `[{"title":`, status: 400,
			want: `{"code":"PGRST102","message":"Empty or invalid json","details":null,"hint":null}`,
		},
	})
}

func TestEmbeddingCompat(t *testing.T) {
	t.Parallel()
	e := newCompatEnv(t, Config{})
	runScenarios(t, e, []scenario{
		{
			name: "ambiguous many-to-one", path: "/posts?select=title,users(name)", status: 300,
			want: `{"code":"PGRST201","details":[
				{"cardinality":"many-to-one","embedding":"posts with users","relationship":"posts_author_fk using posts(author_id) and users(id)"},
				{"cardinality":"many-to-one","embedding":"posts with users","relationship":"posts_editor_fk using posts(editor_id) and users(id)"}],
				"hint":"Try changing 'users' to one of the following: 'users!posts_author_fk', 'users!posts_editor_fk'. Find the desired relationship in the 'details' key.",
				"message":"Could not embed because more than one relationship was found for 'posts' and 'users'"}`,
		},
		{
			name: "ambiguous one-to-many", path: "/users?select=name,posts(title)", status: 300,
			want: `{"code":"PGRST201","details":[
				{"cardinality":"one-to-many","embedding":"users with posts","relationship":"posts_author_fk using users(id) and posts(author_id)"},
				{"cardinality":"one-to-many","embedding":"users with posts","relationship":"posts_editor_fk using users(id) and posts(editor_id)"}],
				"hint":"Try changing 'posts' to one of the following: 'posts!posts_author_fk', 'posts!posts_editor_fk'. Find the desired relationship in the 'details' key.",
				"message":"Could not embed because more than one relationship was found for 'users' and 'posts'"}`,
		},
		{name: "constraint as target", path: "/posts?select=title,author:posts_author_fk(name)&id=eq.1", status: 200, want: `[{"title":"Hello world","author":{"name":"Ada"}}]`},
		{name: "column as target", path: "/posts?select=title,editor_id(name)&id=eq.1", status: 200, want: `[{"title":"Hello world","editor_id":{"name":"Brian"}}]`},
		{name: "hint by the target's column", path: "/users?select=name,posts!author_id(title)&id=eq.2", status: 200, want: `[{"name":"Brian","posts":[{"title":"Brian writes"}]}]`},
		{
			name: "a constraint names the table's relationship, not its view's", path: "/users?select=name,posts_author_fk(id)&id=eq.2", status: 200,
			want: `[{"name":"Brian","posts_author_fk":[{"id":3}]}]`,
		},
		{name: "hint by junction", path: "/posts?select=id,labels!post_labels(name)&id=eq.1&labels.order=name", status: 200, want: `[{"id":1,"labels":[{"name":"go"},{"name":"sql"}]}]`},
		{name: "one-to-one both ways", path: "/profiles?select=bio,users(name)", status: 200, want: `[{"bio":"Mathematician","users":{"name":"Ada"}}]`},
		{name: "self: children by the table", path: "/users?select=name,users(name)&id=eq.1&users.order=id", status: 200, want: `[{"name":"Ada","users":[{"name":"Brian"},{"name":"Cleo"}]}]`},
		{name: "self: parent by the column", path: "/users?select=name,boss:manager_id(name)&id=eq.3", status: 200, want: `[{"name":"Cleo","boss":{"name":"Ada"}}]`},
		{
			name: "self: the constraint is no hint", path: "/users?select=name,users!users_manager_id_fkey(name)", status: 400,
			want: `{"code":"PGRST200","details":"Searched for a foreign key relationship between 'users' and 'users' using the hint 'users_manager_id_fkey' in the schema 'public', but no matches were found.",
				"hint":null,"message":"Could not find a relationship between 'users' and 'users' in the schema cache"}`,
		},
		{
			name: "the same table twice without aliases", path: "/posts?select=users!posts_author_fk(name),users!posts_editor_fk(name)", status: 400,
			want: `{"code":"42712","details":null,"hint":null,"message":"table name \"users\" specified more than once"}`,
		},
		{
			name: "the same table twice with aliases", path: "/posts?select=a:users!posts_author_fk(name),e:users!posts_editor_fk(name)&id=eq.1", status: 200,
			want: `[{"a":{"name":"Ada"},"e":{"name":"Brian"}}]`,
		},
		{name: "an empty embed filters but is not shown", path: "/posts?select=id,comments!inner()&comments.body=eq.meh", status: 200, want: `[{"id":2}]`},
		{name: "an empty embed in a null filter", path: "/posts?select=id,comments()&comments=not.is.null&order=id", status: 200, want: `[{"id":1},{"id":2}]`},
		{
			name: "related order on a to-many alias", path: "/posts?select=id,c:comments(id)&order=c(id)", status: 400,
			want: `{"code":"PGRST118","details":"'posts' and 'c' do not form a many-to-one or one-to-one relationship","hint":null,"message":"A related order on 'c' is not possible"}`,
		},
		{
			name: "related order on no embedding", path: "/posts?select=id&order=author(name)", status: 400,
			want: `{"code":"PGRST108","details":null,"hint":"Verify that 'author' is included in the 'select' query parameter.","message":"'author' is not an embedded resource in this request"}`,
		},
	})
}

// TestPlanSettings: the plan media type's settings option reports the
// search path as PostgREST sets it: the request's schema, then the extra
// search path, verbatim (a schema in both is listed twice).
func TestPlanSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"default extra path", nil, `"public", "public"`},
		{"no extra path", []string{}, `"public"`},
		{"extensions", []string{"extensions", "public"}, `"public", "extensions", "public"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{Plan: true, ExtraSearchPath: tt.extra})
			res, body := e.do(t, scenario{path: "/users", header: map[string]string{"Accept": "application/vnd.pgrst.plan+json; options=settings"}})
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.pgrst.plan+json; options=settings; charset=utf-8" {
				t.Fatalf("status %d, Content-Type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			var plans []struct {
				Settings map[string]string `json:"Settings"`
			}
			if err := json.Unmarshal(body, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("plan %s: %v", body, err)
			}
			if got := plans[0].Settings; len(got) != 1 || got["search_path"] != tt.want {
				t.Errorf("Settings = %v, want only search_path %s", got, tt.want)
			}
		})
	}
}
