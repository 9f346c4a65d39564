package graphql

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/magflock/mobo/internal/catalog"
)

// fuzzModel is a fixed schema: account 1—n post, with every scalar kind.
func fuzzModel(t testing.TB) *model {
	t.Helper()
	account := &catalog.Relation{
		QName: catalog.QName{Schema: "public", Name: "account"}, Kind: 'r', Description: `@graphql({"totalCount": {"enabled": true}})`, Insertable: true, PK: []string{"id"},
		Columns: []*catalog.Column{
			{Name: "id", Type: "integer", BaseType: "int4"},
			{Name: "name", Type: "text", BaseType: "text"},
			{Name: "visits", Type: "bigint", BaseType: "int8", Nullable: true},
			{Name: "balance", Type: "numeric", BaseType: "numeric", Nullable: true},
			{Name: "at", Type: "timestamp with time zone", BaseType: "timestamptz", Nullable: true},
			{Name: "prefs", Type: "jsonb", BaseType: "jsonb", Nullable: true},
			{Name: "mood", Type: "mood", BaseType: "mood", Enum: []string{"happy", "sad"}, Nullable: true},
			{Name: "tags", Type: "text[]", BaseType: "_text", Nullable: true},
		},
	}
	post := &catalog.Relation{
		QName: catalog.QName{Schema: "public", Name: "post"}, Kind: 'r', Description: `@graphql({"totalCount": {"enabled": true}})`, Insertable: true, PK: []string{"id"},
		Columns: []*catalog.Column{
			{Name: "id", Type: "integer", BaseType: "int4"},
			{Name: "title", Type: "text", BaseType: "text"},
			{Name: "author_id", Type: "integer", BaseType: "int4", Nullable: true},
		},
	}
	fk := &catalog.ForeignKey{Name: "post_author_id_fkey", From: post, FromCols: []string{"author_id"}, To: account, ToCols: []string{"id"}}
	post.FKs = []*catalog.ForeignKey{fk}
	account.Referenced = []*catalog.ForeignKey{fk}
	search := &catalog.Function{
		QName: catalog.QName{Schema: "public", Name: "search"}, Volatility: 's', SetOf: true, ReturnType: "post", ReturnRel: post,
		Args: []catalog.FuncArg{{Name: "term", Type: "text", Required: true}, {Name: "ids", Type: "integer[]"}},
	}
	bump := &catalog.Function{
		QName: catalog.QName{Schema: "public", Name: "bump"}, Volatility: 'v', ReturnType: "bigint",
		Args: []catalog.FuncArg{{Name: "n", Type: "integer", Required: true}, {Name: "at", Type: "timestamp with time zone"}},
	}
	sc := catalog.New([]string{"public"})
	sc.AddRelation(account)
	sc.AddRelation(post)
	sc.Functions[search.QName] = []*catalog.Function{search}
	sc.Functions[bump.QName] = []*catalog.Function{bump}
	m, err := buildModel(sc, "public", nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzCompile: random operations against a fixed schema never panic, and
// no text of the query reaches the SQL except as a bound parameter or a
// GraphQL name.
func FuzzCompile(f *testing.F) {
	m := fuzzModel(f)
	for _, s := range []string{
		`{ accountCollection { edges { cursor node { id name visits balance at prefs mood tags nodeId postCollection(first: 2) { totalCount } } } pageInfo { hasNextPage endCursor } } }`,
		`{ postCollection(last: 2, before: "WzFd", filter: {or: [{title: {like: "a'b"}}, {not: {id: {in: [1, 2]}}}]}, orderBy: [{title: DescNullsFirst}]) { edges { node { author { name } } } } }`,
		`query($n: Int, $f: accountFilter) { accountCollection(first: $n, filter: $f, after: "WzEsMl0=") { totalCount } }`,
		`mutation { insertIntoaccountCollection(objects: [{name: "x'); drop table account; --"}]) { affectedCount records { id } } }`,
		`mutation { updatepostCollection(set: {title: "t"}, filter: {nodeId: {eq: "WyJwdWJsaWMiLCAicG9zdCIsIDFd"}}, atMost: 2) { records { id } } }`,
		`mutation { deleteFrompostCollection(filter: {id: {eq: 1}}) { affectedCount } }`,
		`{ node(nodeId: "WyJwdWJsaWMiLCAiYWNjb3VudCIsIDFd") { nodeId ... on account { name } } __typename }`,
		`{ __schema { types { name fields { name } } } __type(name: "account") { kind } }`,
		`query A { accountCollection { totalCount } } fragment F on account { id }`,
		`query($t: String!) { search(term: $t, ids: [1, null], first: 2, filter: {title: {eq: "x'y"}}) { edges { node { title author { name } } } } }`,
		`mutation { a: bump(n: 1, at: "2024-01-01') --") b: bump(n: 2) }`,
	} {
		f.Add(s, `{"n": 3, "t": "o'clock", "f": {"name": {"eq": "a"}}}`)
	}
	f.Fuzz(func(t *testing.T, query, vars string) {
		doc, errs := gqlparser.LoadQueryWithRules(m.schema, query, nil)
		if len(errs) > 0 || len(doc.Operations) == 0 {
			return
		}
		var v map[string]any
		d := json.NewDecoder(strings.NewReader(vars))
		d.UseNumber()
		_ = d.Decode(&v)
		op := doc.Operations[0]
		cv, err := validator.VariableValues(m.schema, op, v)
		if err != nil {
			return
		}
		st, err := compile(m, Config{}, doc, op, cv)
		if err != nil {
			return
		}
		// Every single-quoted literal in the SQL is a GraphQL name or one of
		// the compiler's fixed literals.
		sql := strings.NewReplacer(`E'\n'`, "", "''", "", "'utf8'", "", "'base64'", "", "'[]'", "").Replace(st.SQL)
		parts := strings.Split(sql, "'")
		if len(parts)%2 != 1 {
			t.Fatalf("unbalanced quotes in %s", st.SQL)
		}
		for i := 1; i < len(parts); i += 2 {
			if !nameRE.MatchString(parts[i]) {
				t.Fatalf("unexpected literal %q in %s", parts[i], st.SQL)
			}
		}
	})
}
