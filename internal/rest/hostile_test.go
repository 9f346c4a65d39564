package rest

import (
	"net/http"
	"net/url"
	"testing"
)

// TestHostileNamesInSelects: column and alias names that read like SQL
// (" AS ", quotes, dollar quotes, semicolons) stay names in every select
// shape: aggregates with spread and nested embeddings, whose select lists
// the compiler rewrites (grouping, json to jsonb).
func TestHostileNamesInSelects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Aggregates: true})
	if _, err := e.db.Pool.Exec(t.Context(), `
		create table shelf (id int primary key, "x AS y" text);
		create table item (id int primary key, shelf_id int references shelf (id), "a AS b" text, "q$$r" int, "s;t" text);
		grant select on shelf, item to anon;
		insert into shelf values (1, 'top');
		insert into item values (1, 1, 'one', 1, 'p'), (2, 1, 'two', 2, 'p');
		notify pgrst, 'reload schema';`); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "/item?select=id", http.StatusOK)
	q := func(s string) string { return url.QueryEscape(s) }
	runScenarios(t, e, []scenario{
		{
			name: "spread to-many with an aggregate", path: "/shelf?select=" + q(`"x AS y",count(),...item("a AS b")`), status: 200,
			want: `[{"x AS y":"top","count":1,"a AS b":["one","two"]}]`,
		},
		{
			name: "embedding with an aggregate", path: "/shelf?select=" + q(`"x AS y",count(),item("a AS b","q$$r")`) + "&item.order=id", status: 200,
			want: `[{"x AS y":"top","count":1,"item":[{"a AS b":"one","q$$r":1},{"a AS b":"two","q$$r":2}]}]`,
		},
		{
			name: "aggregate grouped by hostile columns", path: "/item?select=" + q(`"s;t","q$$r".sum()`), status: 200,
			want: `[{"s;t":"p","sum":3}]`,
		},
		{
			name: "to-one embedding with an aggregate", path: "/item?select=" + q(`count(),shelf("x AS y")`), status: 200,
			want: `[{"count":2,"shelf":{"x AS y":"top"}}]`,
		},
	})
}
