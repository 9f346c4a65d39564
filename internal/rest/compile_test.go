package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/magflock/mobo/internal/catalog"
)

// fixedSchema is a small schema built in memory, for compiler tests that
// need no database: users, posts (two foreign keys to users), comments,
// labels through post_labels, and a computed field.
func fixedSchema() *Schema {
	sc := &Schema{Catalog: catalog.New([]string{"public"})}
	sc.Types = map[string]string{"int4": "pg_catalog", "text": "pg_catalog", "numeric": "pg_catalog", "jsonb": "pg_catalog"}
	rel := func(oid uint32, name string, pk []string, cols ...string) *Relation {
		r := &Relation{QName: QName{Schema: "public", Name: name}, OID: oid, Kind: 'r', Insertable: true, PK: pk}
		for i, c := range cols {
			name, typ, _ := strings.Cut(c, " ")
			r.AddColumn(&Column{Name: name, Type: typ, BaseType: typ, Position: i + 1, Nullable: true})
		}
		sc.AddRelation(r)
		return r
	}
	fk := func(name string, from *Relation, fc string, to *Relation, tc string) {
		k := &ForeignKey{Name: name, From: from, FromCols: []string{fc}, To: to, ToCols: []string{tc}}
		from.FKs = append(from.FKs, k)
		to.Referenced = append(to.Referenced, k)
	}
	users := rel(1, "users", []string{"id"}, "id int4", "name text", "email text", "data jsonb")
	posts := rel(2, "posts", []string{"id"}, "id int4", "title text", "author_id int4", "editor_id int4", "score numeric", "tags text[]")
	comments := rel(3, "comments", []string{"id"}, "id int4", "post_id int4", "body text")
	labels := rel(4, "labels", []string{"id"}, "id int4", "name text")
	pl := rel(5, "post_labels", []string{"post_id", "label_id"}, "post_id int4", "label_id int4")
	fk("posts_author_fk", posts, "author_id", users, "id")
	fk("posts_editor_fk", posts, "editor_id", users, "id")
	fk("comments_post_fk", comments, "post_id", posts, "id")
	fk("pl_post_fk", pl, "post_id", posts, "id")
	fk("pl_label_fk", pl, "label_id", labels, "id")
	sc.Functions[QName{Schema: "public", Name: "full_name"}] = []*Function{{QName: QName{Schema: "public", Name: "full_name"}, Volatility: 's', ReturnType: "text", RowArg: users, Args: []FuncArg{{Type: "users", Required: true}}}}
	return sc
}

func compileFor(sc *Schema, cfg *Config, method, target, query string, header http.Header, body string) (*Statement, error) {
	if header == nil {
		header = http.Header{}
	}
	req, err := ParseRequest(method, target, query, header)
	if err != nil {
		return nil, err
	}
	c := newCompiler(sc, cfg, "public", req)
	media := MediaType{Kind: MediaJSON}
	switch {
	case req.Target.Kind == TargetRoutine:
		st, _, err := c.compileRPC([]byte(body), media)
		return st, err
	case method == http.MethodGet || method == http.MethodHead:
		return c.compileRead(media)
	}
	return c.compileMutation([]byte(body), media, method == http.MethodPost)
}

var goldenCases = []struct {
	name, method, target, query, body string
	header                            http.Header
}{
	{name: "get_by_pk", method: "GET", target: "/users", query: "id=eq.1"},
	{name: "list_20", method: "GET", target: "/posts", query: "select=id,title&order=id&limit=20"},
	{name: "embeds", method: "GET", target: "/posts", query: "select=title,author:users!posts_author_fk(name),comments(body),labels(name)&comments.order=id.desc&comments.limit=2&labels.name=eq.go"},
	{name: "inner_spread_order", method: "GET", target: "/posts", query: "select=id,...users!editor_id(editor:name),c:comments!inner(id)&order=users(name).desc.nullslast"},
	{name: "logic_json_cast", method: "GET", target: "/users", query: "select=id::text,d:data->a->>b&or=(id.eq.1,and(name.like.A*,email.not.is.null))&data->x->>0=in.(a,b)"},
	{name: "count_exact", method: "GET", target: "/users", query: "select=id&limit=5&offset=5", header: http.Header{"Prefer": {"count=exact"}}},
	{name: "computed", method: "GET", target: "/users", query: "select=full_name&full_name=fts(english).ada"},
	{name: "insert", method: "POST", target: "/users", query: "select=id,name", body: `[{"name":"a","email":"x"}]`, header: http.Header{"Prefer": {"return=representation"}}},
	{name: "upsert", method: "POST", target: "/labels", query: "on_conflict=name", body: `{"name":"go"}`, header: http.Header{"Prefer": {"resolution=merge-duplicates"}}},
	{name: "patch", method: "PATCH", target: "/users", query: "id=eq.1", body: `{"name":"b"}`},
	{name: "delete_limited", method: "DELETE", target: "/comments", query: "post_id=eq.1&order=id&limit=2"},
}

// TestCompileGolden pins the SQL of representative requests.
func TestCompileGolden(t *testing.T) {
	t.Parallel()
	sc := fixedSchema()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := compileFor(sc, &Config{}, tc.method, tc.target, tc.query, tc.header, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			args, _ := json.Marshal(st.Args)
			got := st.SQL + "\n-- args: " + string(args) + "\n"
			golden(t, filepath.Join("testdata", "sql", tc.name+".sql"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got; -update rewrites):\n%s", path, d)
	}
}

// TestOpenAPIGolden pins the OpenAPI document of the fixture database.
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sc, err := e.srv.schema(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(OpenAPI(sc, "public", nil), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "openapi.json"), string(b)+"\n")
	e.check(t, scenario{path: "/", status: 200, has: []string{`"openapi":"3.0.3"`, `"/rpc/add"`}, headers: map[string]string{"Content-Type": "application/openapi+json; charset=utf-8"}})
}

// TestCompileErrors checks the schema-cache misses.
func TestCompileErrors(t *testing.T) {
	t.Parallel()
	sc := fixedSchema()
	for _, tc := range []struct{ query, code string }{
		{"select=nope", "42703"},
		{"select=*,nope(*)", CodeNoRelationship},
		{"select=*,users(*)", CodeAmbiguousEmbedding},
		{"nope=eq.1", "42703"},
		{"order=nope", "42703"},
		{"select=id.sum()", CodeAggregates},
		{"select=id::nosuchtype", "42704"},
		{"order=comments(id)", "PGRST108"},
	} {
		_, err := compileFor(sc, &Config{}, "GET", "/posts", tc.query, nil, "")
		e, ok := asRESTError(err)
		if !ok || e.Code != tc.code {
			t.Errorf("%s: got %v, want code %s", tc.query, err, tc.code)
		}
	}
}

// FuzzCompile: no query makes the compiler panic, and the SQL text never
// depends on the values of the request (filter operands, lists, JSON keys):
// those only ever travel as bound parameters.
func FuzzCompile(f *testing.F) {
	for _, tc := range goldenCases {
		f.Add(tc.target, tc.query)
	}
	f.Add("/posts", "select=*,comments(*)&comments.body=like.*'; drop table x;--*")
	f.Add("/users", `name=eq.");select 1;--&data->>'x=is.null`)
	sc := fixedSchema()
	cfg := &Config{Aggregates: true}
	f.Fuzz(func(t *testing.T, target, query string) {
		req, err := ParseRequest("GET", target, query, http.Header{})
		if err != nil {
			return
		}
		c := newCompiler(sc, cfg, "public", req)
		st, err := c.compileRead(MediaType{Kind: MediaJSON})
		if err != nil {
			if _, ok := asRESTError(err); !ok {
				t.Fatalf("non-REST error %v", err)
			}
			return
		}
		scrubValues(req)
		st2, err := newCompiler(sc, cfg, "public", req).compileRead(MediaType{Kind: MediaJSON})
		if err != nil {
			t.Fatalf("scrubbed request failed: %v", err)
		}
		if st.SQL != st2.SQL {
			t.Fatalf("values leaked into SQL:\n%s\n%s", st.SQL, st2.SQL)
		}
		if strings.Count(st.SQL, "$") < len(st.Args) {
			t.Fatalf("fewer placeholders than args: %s %v", st.SQL, st.Args)
		}
		if n := strings.Count(st.SQL, fmt.Sprintf("$%d", len(st.Args)+1)); n > 0 {
			t.Fatalf("placeholder without an arg: %s", st.SQL)
		}
	})
}

// scrubValues replaces every value of req by a constant of the same kind.
func scrubValues(req *Request) {
	scrubCond := func(c *Condition) {
		c.Expr.Value = "v"
		if c.Expr.Language != "" {
			c.Expr.Language = "l"
		}
		for i := range c.Expr.List {
			c.Expr.List[i] = "v"
		}
		scrubField(&c.Field)
	}
	for i := range req.Query.Filters {
		scrubCond(&req.Query.Filters[i].Condition)
	}
	var scrubLogic func(e *LogicExpr)
	scrubLogic = func(e *LogicExpr) {
		for _, ch := range e.Children {
			if ch.Cond != nil {
				scrubCond(ch.Cond)
			} else {
				scrubLogic(ch.Expr)
			}
		}
	}
	for i := range req.Query.Logic {
		scrubLogic(&req.Query.Logic[i].LogicExpr)
	}
	for i := range req.Query.Order {
		for j := range req.Query.Order[i].Terms {
			scrubField(&req.Query.Order[i].Terms[j].Field)
		}
	}
	var scrubSelect func(items []SelectItem)
	scrubSelect = func(items []SelectItem) {
		for i := range items {
			if items[i].Kind == SelectField && items[i].Alias == "" && len(items[i].Field.JSON) > 0 {
				// The default output name is the last key: keep the name stable.
				items[i].Alias = defaultName(items[i].Field)
			}
			scrubField(&items[i].Field)
			scrubSelect(items[i].Children)
		}
	}
	scrubSelect(req.Query.Select)
}

func scrubField(f *Field) {
	for i := range f.JSON {
		if f.JSON[i].Index {
			f.JSON[i].Operand = "0"
		} else {
			f.JSON[i].Operand = "k"
		}
	}
}
