package rest

import (
	"net/http"
	"testing"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// TestBuiltinOnlyReads: a read is judged to run none of the database's own
// code only when it reads plain tables without row-level security,
// columns of PostgreSQL's own types, and filters and orders them with
// PostgreSQL's own operators; anything else may run the database's code.
func TestBuiltinOnlyReads(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t, template(t))
	if _, err := db.Pool.Exec(t.Context(), `create domain short_text as text check (length(value) < 10);
		create table tagged (id int primary key, label short_text, j json);
		create table notes (id int primary key, user_id int references users (id));
		create table owners (code short_text primary key);
		create table pets (id int primary key, owner short_text references owners (code));
		alter table notes enable row level security`); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(t.Context(), db.Pool, []string{"public"})
	if err != nil {
		t.Fatal(err)
	}
	sc := &Schema{Catalog: c}
	for _, tc := range []struct {
		target, query string
		header        http.Header
		want          bool
	}{
		{"/users", "id=eq.1", nil, true},
		{"/users", "select=id,name&name=like.A*&order=name.desc&limit=2", nil, true},
		{"/users", "or=(id.eq.1,and(name.ilike.a*,email.not.is.null))&id=in.(1,2)", nil, true},
		{"/posts", "select=*", nil, true}, // text[], jsonb, numeric, tsvector
		{"/posts", "select=id,d:data->a->>b&data->a->>b=eq.x&order=data->n", nil, true},
		{"/posts", "select=title,author:users!posts_author_fk(name),comments(body),labels(name)&comments.order=id.desc", nil, true},
		{"/events", "", nil, true},      // partitioned
		{"/post_counts", "", nil, true}, // materialized view
		{"/users", "id=eq.1", http.Header{"Accept": {"text/csv"}}, true},
		{"/users", "id=eq.1", http.Header{"Prefer": {"count=exact"}}, true},

		{"/todos", "", nil, false},                          // row-level security
		{"/post_titles", "", nil, false},                    // a view
		{"/users", "select=id,notes(id)", nil, false},       // an embedding with row-level security
		{"/users", "select=full_name", nil, false},          // a computed field
		{"/users", "full_name=eq.x", nil, false},            // a filter on one
		{"/users", "select=id,latest_post(id)", nil, false}, // a computed relationship
		{"/users", "select=id::text", nil, false},           // a cast
		{"/posts", "tsv=fts.x", nil, false},                 // text search
		{"/posts", "tags=cs.{a}", nil, false},               // an operator on arrays
		{"/posts", "tags=eq.{a}", nil, false},
		{"/posts", "order=tags", nil, false},
		{"/posts", "id=like.1*", nil, false}, // LIKE on an integer: the database's operator, if any
		{"/tagged", "id=eq.1", nil, false},   // a domain column
		{"/tagged", "select=id", nil, true},
		{"/owners", "select=pets(id)", nil, false},   // joined on a domain's columns
		{"/tagged", "select=id&j=eq.{}", nil, false}, // json has no = of PostgreSQL's own
		{"/tagged", "select=id&order=j", nil, false},
		{"/posts", "select=published.count()", nil, false}, // an aggregate
	} {
		t.Run(tc.target+"?"+tc.query, func(t *testing.T) {
			t.Parallel()
			st, err := compileFor(sc, &Config{Aggregates: true}, "GET", tc.target, tc.query, tc.header, "")
			if tc.header != nil && tc.header.Get("Accept") == "text/csv" {
				req, perr := ParseRequest("GET", tc.target, tc.query, tc.header)
				if perr != nil {
					t.Fatal(perr)
				}
				st, err = newCompiler(sc, &Config{}, "public", req).compileRead(MediaType{Kind: MediaCSV})
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.BuiltinOnly != tc.want {
				t.Errorf("BuiltinOnly = %v, want %v\n%s", st.BuiltinOnly, tc.want, st.SQL)
			}
		})
	}
}

// TestBuiltinOnlyKeepsSettings: whatever of the database's own code runs
// during a read (a view's function, a row-level security policy) sees the
// request's settings, and a plain read answers as before.
func TestBuiltinOnlyKeepsSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `
		create table plain (id int primary key, name text);
		insert into plain values (1, 'a'), (2, 'b');
		create function req() returns json language sql stable as $$ select json_build_object(
		  'method', current_setting('request.method', true), 'path', current_setting('request.path', true),
		  'probe', current_setting('request.headers', true)::json->>'x-probe', 'ro', current_setting('transaction_read_only'),
		  'role', current_setting('request.jwt.claims', true)::json->>'role') $$;
		create view plain_req as select id, req() as req from plain;
		create table guarded (id int primary key);
		insert into guarded values (1);
		alter table guarded enable row level security;
		create policy probe on guarded for select using (current_setting('request.headers', true)::json->>'x-probe' = 'yes');
		grant select on plain, plain_req, guarded to anon`); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []scenario{
		{name: "plain", path: "/plain?id=eq.2", status: 200, want: `[{"id":2,"name":"b"}]`},
		{name: "plain again", path: "/plain?id=eq.1", status: 200, want: `[{"id":1,"name":"a"}]`},
		{
			name: "view", path: "/plain_req?id=eq.1", header: map[string]string{"X-Probe": "p"}, status: 200,
			want: `[{"id":1,"req":{"method":"GET","path":"/plain_req","probe":"p","ro":"on","role":"anon"}}]`,
		},
		{name: "policy passes", path: "/guarded", header: map[string]string{"X-Probe": "yes"}, status: 200, want: `[{"id":1}]`},
		{name: "policy refuses", path: "/guarded", header: map[string]string{"X-Probe": "no"}, status: 200, want: `[]`},
	} {
		t.Run(sc.name, func(t *testing.T) { e.check(t, sc) })
	}
}
