package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
)

type scenario struct {
	name  string
	key   string // "anon" (default), "svc", "a", "b" (authenticated users)
	query string
	vars  map[string]any
}

func (e *env) keyFor(t *testing.T, k string) string {
	switch k {
	case "svc":
		return e.svc
	case "none":
		return ""
	case "a", "b":
		return token(t, jwt.MapClaims{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000" + k})
	}
	return e.anon
}

func runScenarios(t *testing.T, e *env, cases []scenario) {
	t.Helper()
	for _, sc := range cases {
		status, body := e.post(t, e.keyFor(t, sc.key), sc.query, sc.vars)
		if status != http.StatusOK {
			t.Errorf("%s: status %d: %s", sc.name, status, body)
			continue
		}
		t.Run(sc.name, func(t *testing.T) { golden(t, sc.name, body) })
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	runScenarios(t, e, []scenario{
		{name: "scalars", query: `{ accountCollection(first: 1) { edges { node { id name email created_at balance visits ext_id born wakes prefs mood tags } } } }`},
		{name: "typename_alias", query: `query Q { __typename people: accountCollection(first: 2) { __typename totalCount edges { __typename cursor n: node { __typename nodeId name } } pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } } }`},
		{name: "filter_ops", query: `{
  eq: blog_postCollection(filter: {title: {eq: "Hello"}}) { edges { node { id } } }
  neq: blog_postCollection(filter: {id: {neq: 1}}) { edges { node { id } } }
  lt_gte: blog_postCollection(filter: {id: {lt: 4, gte: 2}}) { edges { node { id } } }
  lte_gt: blog_postCollection(filter: {score: {lte: 3, gt: 0}}) { edges { node { id } } }
  in: blog_postCollection(filter: {id: {in: [1, 3, 99]}}) { edges { node { id } } }
  is_null: blog_postCollection(filter: {author_id: {is: NULL}}) { edges { node { id } } }
  is_not_null: blog_postCollection(filter: {score: {is: NOT_NULL}}) { totalCount }
  like: blog_postCollection(filter: {title: {like: "%o%"}}) { edges { node { title } } }
  ilike: blog_postCollection(filter: {title: {ilike: "h%"}}) { edges { node { title } } }
  starts: blog_postCollection(filter: {title: {startsWith: "Se"}}) { edges { node { title } } }
  regex: blog_postCollection(filter: {title: {regex: "^[HS]"}}) { edges { node { title } } }
  iregex: blog_postCollection(filter: {title: {iregex: "^b"}}) { edges { node { title } } }
  and: blog_postCollection(filter: {and: [{id: {gt: 1}}, {author_id: {eq: 1}}]}) { edges { node { id } } }
  or: blog_postCollection(filter: {or: [{id: {eq: 1}}, {title: {eq: "Orphan"}}]}) { edges { node { id } } }
  not: blog_postCollection(filter: {not: {author_id: {eq: 1}}}) { edges { node { id } } }
  enum: accountCollection(filter: {mood: {eq: happy}}) { edges { node { name } } }
  big: accountCollection(filter: {visits: {eq: "9007199254740993"}}) { edges { node { name } } }
}`},
		{name: "order_by", query: `{
  desc_nulls_first: blog_postCollection(orderBy: [{score: DescNullsFirst}]) { edges { node { id score } } }
  asc_nulls_last: blog_postCollection(orderBy: [{score: AscNullsLast}]) { edges { node { id score } } }
  two_keys: blog_postCollection(orderBy: [{author_id: AscNullsFirst}, {id: DescNullsLast}]) { edges { node { id author_id } } }
}`},
		{name: "relations", query: `{ accountCollection(first: 2) { edges { node { name blog_postCollection(orderBy: [{id: DescNullsLast}]) { totalCount edges { node { title author { name } commentCollection { edges { node { body post { id } } } } } } } } } } }`},
		{
			name: "fragments_variables", vars: map[string]any{"n": 2, "title": "Hello", "withAuthor": true},
			query: `query Q($n: Int, $title: String, $withAuthor: Boolean!) {
  blog_postCollection(first: $n, filter: {title: {neq: $title}}) { edges { node { ...P ... on blog_post { score } } } }
}
fragment P on blog_post { id title author @include(if: $withAuthor) { ...A } }
fragment A on account { name }`,
		},
		{name: "offset", query: `{ blog_postCollection(first: 2, offset: 1) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage } } }`},
		{
			name: "node", vars: map[string]any{"id": "WyJwdWJsaWMiLCAiYmxvZ19wb3N0IiwgMV0="},
			query: `query($id: ID!) { node(nodeId: $id) { nodeId __typename ... on blog_post { id title } ... on account { name } } }`,
		},
		{name: "node_filter", query: `{ blog_postCollection(filter: {nodeId: {eq: "WyJwdWJsaWMiLCAiYmxvZ19wb3N0IiwgMl0="}}) { edges { node { id } } } }`},
		{name: "multiple_operations", query: `query A { accountCollection(first: 1) { totalCount } } query B { blog_postCollection { totalCount } }`},
		{name: "directives", query: `{ labelCollection(first: 5, filter: {title: {neq: "b"}}, orderBy: [{title: DescNullsLast}]) { edges { node { __typename nodeId title } } pageInfo { hasNextPage } } }`},
		{
			name: "skip_include", vars: map[string]any{"yes": true},
			query: `query($yes: Boolean!) { blog_postCollection(first: 1) { edges { node { id title @skip(if: $yes) score @include(if: $yes) author @skip(if: false) { name } } } } }`,
		},
		{name: "nested_last", query: `{ accountCollection(first: 1) { edges { node { blog_postCollection(last: 2) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } } }`},
		{name: "mixed_introspection", query: `{ __typename t: __type(name: "PageInfo") { name kind fields { name } } accountCollection(first: 1) { edges { node { id } } } }`},
		{name: "errors_total_count_off", query: `{ commentCollection { totalCount } }`},
		{name: "errors_validation", query: `{ accountCollection { edges { node { nope } } } }`},
		{name: "errors_syntax", query: `{ accountCollection {`},
		{name: "errors_cursor", query: `{ accountCollection(after: "not a cursor") { totalCount } }`},
		{name: "errors_first_last", query: `{ accountCollection(first: 1, last: 1) { totalCount } }`},
		{name: "errors_variable", query: `query($n: Int!) { accountCollection(first: $n) { totalCount } }`},
		{name: "errors_nodeid", query: `{ node(nodeId: "eHh4") { nodeId } }`},
	})
}

// TestPagination walks blog_post forwards and backwards with cursors.
func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	page := func(args string) (ids []float64, info map[string]any) {
		t.Helper()
		_, body := e.post(t, e.anon, `{ blog_postCollection(`+args+`) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil)
		var r struct {
			Data struct {
				C struct {
					Edges []struct {
						Node struct{ ID float64 }
					}
					PageInfo map[string]any
				} `json:"blog_postCollection"`
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s: %s", err, body)
		}
		for _, ed := range r.Data.C.Edges {
			ids = append(ids, ed.Node.ID)
		}
		if r.Data.C.PageInfo == nil {
			t.Fatalf("no pageInfo: %s", body)
		}
		return ids, r.Data.C.PageInfo
	}
	var all []float64
	cursor := ""
	for i := 0; i < 5; i++ {
		args := `first: 2, orderBy: [{score: DescNullsLast}]`
		if cursor != "" {
			args += `, after: "` + cursor + `"`
		}
		ids, info := page(args)
		all = append(all, ids...)
		if info["hasNextPage"] != true {
			break
		}
		cursor = info["endCursor"].(string)
	}
	want := "[4 3 1 5 2]" // scores 4, 3, 1.5, 0, null
	if got := strings.Join(strings.Fields(jsonString(all)), " "); got != want {
		t.Errorf("forward: got %s want %s", got, want)
	}
	// Backwards from the end.
	var back []float64
	cursor = ""
	for i := 0; i < 5; i++ {
		args := `last: 2, orderBy: [{score: DescNullsLast}]`
		if cursor != "" {
			args += `, before: "` + cursor + `"`
		}
		ids, info := page(args)
		back = append(ids, back...)
		if info["hasPreviousPage"] != true {
			break
		}
		cursor = info["startCursor"].(string)
	}
	if got := strings.Join(strings.Fields(jsonString(back)), " "); got != want {
		t.Errorf("backward: got %s want %s", got, want)
	}
}

func jsonString(v []float64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimSuffix(strings.TrimRight(json.Number(jsonNum(f)).String(), "0"), "."))
	}
	b.WriteByte(']')
	return b.String()
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestMutations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	runScenarios(t, e, []scenario{
		{name: "insert", key: "svc", query: `mutation { insertIntoblog_postCollection(objects: [{title: "New", author_id: 2}, {title: "Newer", score: 9.5}]) { affectedCount records { id title score author { name } } } }`},
		{name: "update", key: "svc", query: `mutation { updateblog_postCollection(set: {score: 7}, filter: {title: {startsWith: "New"}}, atMost: 5) { affectedCount records { id title score } } }`},
		{name: "update_atmost", key: "svc", query: `mutation { updateblog_postCollection(set: {score: 8}, filter: {title: {startsWith: "New"}}) { affectedCount } }`},
		{name: "after_atmost", key: "svc", query: `{ blog_postCollection(filter: {title: {startsWith: "New"}}) { edges { node { title score } } } }`},
		{name: "delete", key: "svc", query: `mutation { deleteFromblog_postCollection(filter: {title: {eq: "Newer"}}) { affectedCount records { title } } }`},
		{name: "insert_enum_json", key: "svc", query: `mutation { insertIntoaccountCollection(objects: [{name: "Dee", mood: sad, prefs: "{\"a\": 1}", visits: "12"}]) { records { name mood prefs visits } } }`},
		{name: "mutation_db_error", key: "svc", query: `mutation { insertIntocommentCollection(objects: [{post_id: 999, body: "x"}]) { affectedCount } }`},
	})
}

func TestRLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	runScenarios(t, e, []scenario{
		{name: "rls_user_a", key: "a", query: `{ todoCollection { totalCount edges { node { task } } } }`},
		{name: "rls_user_b", key: "b", query: `{ todoCollection { totalCount edges { node { task } } } }`},
		{name: "rls_anon", query: `{ todoCollection { totalCount } }`},
		{name: "rls_insert_other", key: "a", query: `mutation { insertIntotodoCollection(objects: [{task: "x", user_id: "00000000-0000-0000-0000-00000000000b"}]) { affectedCount } }`},
		{name: "rls_delete_other", key: "a", query: `mutation { deleteFromtodoCollection(filter: {task: {eq: "b1"}}) { affectedCount } }`},
	})
}

func TestLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{MaxDepth: 5, MaxRows: 50})
	runScenarios(t, e, []scenario{
		{name: "limit_depth", query: `{ accountCollection { edges { node { blog_postCollection { edges { node { id } } } } } } }`},
		{name: "limit_rows", query: `{ accountCollection(first: 10) { edges { node { name } } } blog_postCollection(first: 41) { totalCount } }`},
	})
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if st, _ := e.post(t, "garbage", `{ __typename }`, nil); st != http.StatusUnauthorized {
		t.Errorf("bad key: status %d", st)
	}
	// A browser gets GraphiQL, pinned and integrity-checked, with the
	// plain form as its fallback; ?plain the form alone; other GETs a
	// GraphQL error.
	for _, tc := range []struct {
		query, accept string
		status        int
		has, hasNot   []string
	}{
		{
			"", "text/html,application/xhtml+xml,*/*;q=0.8", http.StatusOK,
			[]string{`graphiql@3.8.3/graphiql.min.js" integrity="sha384-`, `react@18.3.1`, `GraphiQL.createFetcher`, `id="fallback"`, `id="run"`},
			nil,
		},
		{"?plain", "text/html", http.StatusOK, []string{`id="run"`, `id="fallback"`}, []string{"cdn.jsdelivr.net/npm/graphiql", "<script src="}},
		{"", "application/json", http.StatusMethodNotAllowed, []string{`"errors"`, "POST a JSON body"}, []string{"<html"}},
		{"", "", http.StatusMethodNotAllowed, []string{`"errors"`}, nil},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+tc.query, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("GET%s (Accept %q): status %d", tc.query, tc.accept, res.StatusCode)
		}
		for _, s := range tc.has {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("GET%s (Accept %q): no %q in %.300s", tc.query, tc.accept, s, buf.String())
			}
		}
		for _, s := range tc.hasNot {
			if strings.Contains(buf.String(), s) {
				t.Errorf("GET%s (Accept %q): has %q", tc.query, tc.accept, s)
			}
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url, strings.NewReader("not json"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad body: status %d", res.StatusCode)
	}
}

// TestSchema checks the generated SDL and that introspection answers
// graphql-js's introspection query.
func TestSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sdl, err := e.gql.SDL(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	goldenText(t, "schema.graphql", sdl)
	// One generated schema per schema cache snapshot.
	m1, err := e.gql.model(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if m2, _ := e.gql.model(context.Background(), ""); m1 != m2 {
		t.Error("the generated schema was rebuilt for the same snapshot")
	}
	st, body := e.post(t, e.anon, introspectionQuery(t), nil)
	if st != http.StatusOK || strings.Contains(string(body), `"errors"`) {
		t.Fatalf("introspection: %d %s", st, body)
	}
	golden(t, "introspection", body)
	// A reload after DDL brings a new schema.
	if _, err := e.db.Pool.Exec(context.Background(), `create table extra (id int primary key); comment on table extra is e'@graphql({"totalCount": {"enabled": true}})'`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.db.Pool.Exec(context.Background(), "notify pgrst, 'reload schema'"); err != nil {
			t.Fatal(err)
		}
		_, body = e.post(t, e.svc, `{ extraCollection { totalCount } }`, nil)
		if strings.Contains(string(body), `"totalCount":0`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after reload: %s", body)
		}
		select {
		case <-e.cat.Reloaded(""):
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readOnlyAccount allows reading account and nothing else.
type readOnlyAccount struct{}

func (readOnlyAccount) AuthorizeRoles(_ context.Context, _ string, _ *gate.Principal, act gate.Action) error {
	if act.API == "graphql" && act.Relation == "account" && act.Op == gate.OpRead {
		return nil
	}
	return gate.ErrForbidden
}

func TestAuthorizer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{}, func(o *gate.Options) { o.Roles = readOnlyAccount{} })
	// A principal carrying RBAC roles meets the gate's roles stage.
	withRoles := token(t, jwt.MapClaims{"role": "service_role", "app_metadata": map[string]any{"roles": []string{"reader"}}})
	if st, body := e.post(t, withRoles, `{ accountCollection { edges { node { name } } } }`, nil); st != http.StatusOK {
		t.Errorf("allowed read: %d %s", st, body)
	}
	for _, q := range []string{
		`{ accountCollection { edges { node { blog_postCollection { edges { node { id } } } } } } }`,
		`mutation { deleteFromaccountCollection(filter: {id: {eq: 3}}) { affectedCount } }`,
	} {
		if st, body := e.post(t, withRoles, q, nil); st != http.StatusForbidden || !strings.Contains(string(body), `"errors"`) {
			t.Errorf("%s: %d %s", q, st, body)
		}
	}
	// The refused delete did not run.
	_, body := e.post(t, e.svc, `{ accountCollection { totalCount } }`, nil)
	if !strings.Contains(string(body), `"totalCount":3`) {
		t.Errorf("after refused delete: %s", body)
	}
}

// TestFunctions: functions as Query fields (immutable, stable), Mutation
// fields (volatile) and computed fields (a row argument), with scalar, row
// and set results.
func TestFunctions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sdl, err := e.gql.SDL(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  \"Adds two numbers\"\n  add_nums(a: Int!, b: Int): Int\n",
		"  ids_doubled(ids: [Int]!): [Int]\n",
		"  posts_by_author(author: Int!, first: Int, last: Int, before: Cursor, after: Cursor, filter: blog_postFilter, orderBy: [blog_postOrderBy!]): blog_postConnection\n",
		"  add_comment(post: Int!, body: String!): comment\n",
		"  \"The title, louder\"\n  shout: String\n",
		"  recent_comments(first: Int, last: Int, before: Cursor, after: Cursor, filter: commentFilter, orderBy: [commentOrderBy!]): commentConnection\n",
		"  best_post: blog_post\n",
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("the schema lacks %q", want)
		}
	}
	// pg_graphql leaves these out: overloads, nameless arguments, an
	// argument named like a collection's, void, enums.
	for _, name := range []string{"overloaded", "nameless", "clashing", "nothing", "mood_of", "title_upper"} {
		if strings.Contains(sdl, "  "+name) {
			t.Errorf("%s is exposed", name)
		}
	}
	if i, j := strings.Index(sdl, "type Mutation"), strings.Index(sdl, "  next_ticket: BigInt"); i < 0 || j < i {
		t.Error("the volatile next_ticket is not a mutation")
	}
	runScenarios(t, e, []scenario{
		{name: "fn_scalar", query: `{ add_nums(a: 2, b: 3) defaulted: add_nums(a: 1) ids_doubled(ids: [1, 2, null]) big_total }`},
		{name: "fn_row", query: `{ post_by_id(post_id: 3) { __typename nodeId id title author { name } shout } missing: post_by_id(post_id: 99) { id } }`},
		{name: "fn_setof", query: `{ posts_by_author(author: 1, first: 2, orderBy: [{id: DescNullsLast}], filter: {score: {is: NOT_NULL}}) { totalCount edges { cursor node { id title } } pageInfo { hasNextPage hasPreviousPage } } }`},
		{name: "fn_computed", query: `{
  blog_postCollection(first: 3) { edges { node { id shout recent_comments(first: 1, orderBy: [{id: DescNullsLast}]) { edges { node { body } } pageInfo { hasNextPage } } } } }
  accountCollection(first: 3) { edges { node { name best_post { id title shout } } } }
}`},
		{name: "fn_mutation", query: `mutation {
  add_comment(post: 2, body: "added") { id body post { title } }
  bump_scores(min_score: 3) { edges { node { id score } } }
  t1: next_ticket
  t2: next_ticket
}`},
		{name: "fn_after_mutation", query: `{ commentCollection(filter: {post_id: {eq: 2}}) { edges { node { id body } } } blog_postCollection(filter: {score: {gte: 4}}) { edges { node { id score } } } }`},
		{name: "fn_error", query: `{ add_nums(a: 1) fails }`},
		{name: "fn_mutation_in_query", query: `{ next_ticket }`},
	})
}

// TestCommentDirectives: pg_graphql's directives on foreign keys
// (foreign_name, local_name), views (foreign_keys, primary_key_columns) and
// enum types (name, mappings).
func TestCommentDirectives(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sdl, err := e.gql.SDL(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"enum Status {\n  IN_PROGRESS\n  done\n}\n",
		"  status: Status!\n",
		"  reporter: account\n",
		"  reported_tickets(first: Int,",
		"  post_stats(first: Int,",
		"  writer: account\n",
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("the schema lacks %q", want)
		}
	}
	runScenarios(t, e, []scenario{
		{name: "directive_fk_names", query: `{
  ticketCollection { edges { node { id status reporter { name } } } }
  accountCollection(first: 2) { edges { node { name reported_tickets { edges { node { id status } } } } } }
}`},
		{name: "directive_view_fks", query: `{
  post_statCollection(first: 2) { edges { node { nodeId id comments writer { name } } } }
  accountCollection(first: 1) { edges { node { post_stats(orderBy: [{id: AscNullsLast}]) { edges { node { id comments } } } } } }
}`},
		{name: "directive_enum_filter", query: `{
  eq: ticketCollection(filter: {status: {eq: IN_PROGRESS}}) { edges { node { id status } } }
  in: ticketCollection(filter: {status: {in: [IN_PROGRESS, done]}}) { edges { node { id } } }
  neq: ticketCollection(filter: {status: {neq: done}}) { edges { node { id } } }
}`},
		{name: "directive_enum_insert", query: `mutation { insertIntoticketCollection(objects: [{status: IN_PROGRESS, reporter_id: 2}, {status: done}]) { records { id status reporter { name } } } }`},
		{name: "directive_aggregate", query: `{
  blog_postCollection(first: 1, filter: {author_id: {eq: 1}}) {
    aggregate { __typename count sum { id score author_id } avg { score id } min { title score } max { title id } }
    edges { node { id } }
  }
  accountCollection(first: 3) { edges { node { name blog_postCollection { aggregate { count max { score } } } } } }
  empty: blog_postCollection(filter: {id: {gt: 100}}) { aggregate { count sum { score } min { title } } }
}`},
		{name: "errors_aggregate_off", query: `{ accountCollection { aggregate { count } } }`},
		{name: "directive_enum_update", query: `mutation { updateticketCollection(set: {status: IN_PROGRESS}, filter: {id: {eq: 2}}) { records { id status } } }`},
	})
}

// TestSchemaMaxRows: the schema's max_rows directive is every
// collection's page size, as in pg_graphql; a table's own wins.
func TestSchemaMaxRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `comment on schema public is e'@graphql({"max_rows": 2})'`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := e.post(t, e.anon, `{ blog_postCollection { edges { node { id } } pageInfo { hasNextPage } } }`, nil)
		if string(body) == `{"data":{"blog_postCollection":{"edges":[{"node":{"id":1}},{"node":{"id":2}}],"pageInfo":{"hasNextPage":true}}}}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schema's max_rows did not apply: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, body := e.post(t, e.anon, `{ blog_postCollection(first: 3) { edges { node { id } } } }`, nil); strings.Count(string(body), `"node"`) != 2 {
		t.Errorf("first: 3 is not capped at max_rows 2: %s", body)
	}
}

// TestInflection: the schema's inflect_names directive gives PascalCase
// types and camelCase fields, as in pg_graphql; explicit names stay.
func TestInflection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `comment on schema public is e'@graphql({"inflect_names": true})'`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, body := e.post(t, e.anon, `{ __type(name: "BlogPost") { name } }`, nil); strings.Contains(string(body), `"BlogPost"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("inflect_names did not apply")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sdl, err := e.gql.SDL(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"type BlogPost implements Node {", "  authorId: Int\n", "  author: Account\n", "  commentCollection(first: Int,",
		"  createdAt: Datetime!\n", "  blogPostCollection(first: Int,", "  insertIntoBlogPostCollection(objects: [BlogPostInsertInput!]!)",
		"  postsByAuthor(author: Int!,", "  bestPost: BlogPost\n", "  shout: String\n", "type Label implements Node {", "  labelCollection(first: Int,",
		"  reported_tickets(first: Int,", "enum Status {", "enum Mood {",
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("the schema lacks %q", want)
		}
	}
	runScenarios(t, e, []scenario{
		{name: "inflection", query: `{
  blogPostCollection(first: 2) { edges { node { __typename id authorId author { name createdAt } commentCollection { edges { node { postId body } } } } } }
  postsByAuthor(author: 2) { edges { node { title } } }
  accountCollection(first: 1) { edges { node { bestPost { title } } } }
}`},
	})
}

// TestRequestSettings: functions and policies read request.path and
// request.headers through GraphQL as under Supabase, where pg_graphql is
// served by PostgREST's /rpc/graphql with the request's headers.
func TestRequestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if _, err := e.db.Pool.Exec(t.Context(), `
		create function request_info() returns text language sql stable as $$
			select current_setting('request.path', true) || ' ' || current_setting('request.method', true) || ' ' ||
				coalesce(current_setting('request.headers', true)::json->>'x-client-info', 'none')
		$$;
		grant execute on function request_info() to anon;
		notify pgrst, 'reload schema';`); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": `{ request_info }`})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("apikey", e.anon)
		req.Header.Set("X-Client-Info", "supabase-js/2")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data struct {
				RequestInfo string `json:"request_info"`
			} `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err == nil && out.Data.RequestInfo == "/rpc/graphql POST supabase-js/2" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("request_info = %q (%v), want the path, method and header PostgREST would set", out.Data.RequestInfo, err)
		}
	}
}
