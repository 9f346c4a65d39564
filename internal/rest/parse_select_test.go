package rest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []SelectItem
	}{
		// Columns, star, empty.
		{"star", "*", []SelectItem{star()}},
		{"empty", "", []SelectItem{}},
		{"blank", "  ", []SelectItem{}},
		{"one column", "id", []SelectItem{col("id")}},
		{"columns", "id,name,created_at", []SelectItem{col("id"), col("name"), col("created_at")}},
		{"star and column", "*,id", []SelectItem{star(), col("id")}},
		{"dollar and digits", "$x,1col,_y", []SelectItem{col("$x"), col("1col"), col("_y")}},
		{"unicode letters", "prénom,名前", []SelectItem{col("prénom"), col("名前")}},
		{"dashes", "first-name,a-b-c", []SelectItem{col("first-name"), col("a-b-c")}},
		{"inner spaces kept", "first name", []SelectItem{col("first name")}},
		{"whitespace around items", " id , name\t,\tx ", []SelectItem{col("id"), col("name"), col("x")}},
		{"spaces around dash are trimmed", "a - b", []SelectItem{col("a-b")}},

		// Quoted identifiers.
		{"quoted", `"my col"`, []SelectItem{col("my col")}},
		{"quoted keeps spaces", `" x "`, []SelectItem{col(" x ")}},
		{"quoted punctuation", `"a,b(c):d"`, []SelectItem{col("a,b(c):d")}},
		{"quoted escapes", `"say \"hi\" \\ bye"`, []SelectItem{col(`say "hi" \ bye`)}},
		{"quoted empty", `""`, []SelectItem{col("")}},
		{"quoted alias", `"the alias":"the col"`, []SelectItem{aliased("the alias", col("the col"))}},
		{"quoted count is a column", `"count"`, []SelectItem{col("count")}},

		// Aliases and casts.
		{"alias", "full_name:name", []SelectItem{aliased("full_name", col("name"))}},
		{"cast", "id::text", []SelectItem{cast(col("id"), "text")}},
		{"cast with space", "price::double precision", []SelectItem{cast(col("price"), "double precision")}},
		{"alias and cast", "n:id::int", []SelectItem{cast(aliased("n", col("id")), "int")}},
		{"cast trailing space trimmed", "a::int , b", []SelectItem{cast(col("a"), "int"), col("b")}},

		// JSON paths.
		{"json arrow", "data->a", []SelectItem{col("data", jk("a"))}},
		{"json text arrow", "data->>a", []SelectItem{col("data", jkt("a"))}},
		{"json nested", "data->a->>b", []SelectItem{col("data", jk("a"), jkt("b"))}},
		{"json index", "data->0", []SelectItem{col("data", ji("0"))}},
		{"json negative index", "data->-1->>-22", []SelectItem{col("data", ji("-1"), jit("-22"))}},
		{"json index then key", "data->0->>name", []SelectItem{col("data", ji("0"), jkt("name"))}},
		{"json digit-led key", "data->12ab", []SelectItem{col("data", jk("12ab"))}},
		{"json quoted digits is a key", `data->"0"`, []SelectItem{col("data", jk("0"))}},
		{"json key specials", "data->!@#$%^&*_a", []SelectItem{col("data", jk("!@#$%^&*_a"))}},
		{"json key with dash", "data->a-b", []SelectItem{col("data", jk("a-b"))}},
		{"json quoted key", `data->"a.b,c"`, []SelectItem{col("data", jk("a.b,c"))}},
		{"json alias cast", "x:data->>x::int", []SelectItem{cast(aliased("x", col("data", jkt("x"))), "int")}},
		{"json in embed index", "rel(data->0)", []SelectItem{embed("rel", col("data", ji("0")))}},
		{"json key before comma", "data->a,b", []SelectItem{col("data", jk("a")), col("b")}},
		{"json key trailing space", "data->a , b", []SelectItem{col("data", jk("a")), col("b")}},

		// Aggregates.
		{"sum", "amount.sum()", []SelectItem{with(col("amount"), func(s *SelectItem) { s.Aggregate = AggSum })}},
		{"avg cast", "amount.avg()::int", []SelectItem{with(col("amount"), func(s *SelectItem) {
			s.Aggregate, s.AggregateCast = AggAvg, "int"
		})}},
		{"alias max", "top:amount.max()", []SelectItem{with(col("amount"), func(s *SelectItem) {
			s.Alias, s.Aggregate = "top", AggMax
		})}},
		{"min and count", "a.min(),b.count()", []SelectItem{
			with(col("a"), func(s *SelectItem) { s.Aggregate = AggMin }),
			with(col("b"), func(s *SelectItem) { s.Aggregate = AggCount }),
		}},
		{"cast then aggregate then cast", "total:amount::numeric.sum()::text", []SelectItem{with(col("amount"), func(s *SelectItem) {
			s.Alias, s.Cast, s.Aggregate, s.AggregateCast = "total", "numeric", AggSum, "text"
		})}},
		{"json aggregate", "data->>n.sum()", []SelectItem{with(col("data", jkt("n")), func(s *SelectItem) { s.Aggregate = AggSum })}},
		{"count()", "count()", []SelectItem{{Kind: SelectCount}}},
		{"alias count() cast", "cnt:count()::bigint", []SelectItem{{Kind: SelectCount, Alias: "cnt", AggregateCast: "bigint"}}},
		{"aggregates with group by columns", "category,amount.sum(),count()", []SelectItem{
			col("category"),
			with(col("amount"), func(s *SelectItem) { s.Aggregate = AggSum }),
			{Kind: SelectCount},
		}},

		// Embedding.
		{"embed", "id,author(*)", []SelectItem{col("id"), embed("author", star())}},
		{"embed columns", "author(id,name)", []SelectItem{embed("author", col("id"), col("name"))}},
		{"embed empty", "author()", []SelectItem{embed("author")}},
		{"embed space before paren", "author (id)", []SelectItem{embed("author", col("id"))}},
		{"embed whitespace inside", "author( id , name )", []SelectItem{embed("author", col("id"), col("name"))}},
		{"embed alias", "writer:author(name)", []SelectItem{aliased("writer", embed("author", col("name")))}},
		{"embed hint fk", "author:users!author_id_fkey(*)", []SelectItem{with(embed("users", star()), func(s *SelectItem) {
			s.Alias, s.Hint = "author", "author_id_fkey"
		})}},
		{"embed hint column", "users!author_id(*)", []SelectItem{with(embed("users", star()), func(s *SelectItem) { s.Hint = "author_id" })}},
		{"embed inner", "comments!inner(id)", []SelectItem{with(embed("comments", col("id")), func(s *SelectItem) { s.Join = JoinInner })}},
		{"embed left", "comments!left(id)", []SelectItem{with(embed("comments", col("id")), func(s *SelectItem) { s.Join = JoinLeft })}},
		{"embed hint inner", "users!fk!inner(id)", []SelectItem{with(embed("users", col("id")), func(s *SelectItem) {
			s.Hint, s.Join = "fk", JoinInner
		})}},
		{"embed inner hint", "a:users!inner!fk(id)", []SelectItem{with(embed("users", col("id")), func(s *SelectItem) {
			s.Alias, s.Hint, s.Join = "a", "fk", JoinInner
		})}},
		{"embed first hint wins", "users!a!b(id)", []SelectItem{with(embed("users", col("id")), func(s *SelectItem) { s.Hint = "a" })}},
		{"embed quoted inner is a hint", `users!"inner"(id)`, []SelectItem{with(embed("users", col("id")), func(s *SelectItem) { s.Hint = "inner" })}},
		{"embed hint with prefix inner", "users!innerfk(id)", []SelectItem{with(embed("users", col("id")), func(s *SelectItem) { s.Hint = "innerfk" })}},
		{"embed quoted count", `"count"(id)`, []SelectItem{embed("count", col("id"))}},
		{"embed named count", "count(id)", []SelectItem{embed("count", col("id"))}},
		{"nested embeds", "*,client(*,nested(*,deeper(id)))", []SelectItem{
			star(),
			embed("client", star(), embed("nested", star(), embed("deeper", col("id")))),
		}},
		{"embed with everything inside", "films(title,rating:score::int,meta->>x,count(),nominations!inner(rank))", []SelectItem{
			embed("films",
				col("title"),
				cast(aliased("rating", col("score")), "int"),
				col("meta", jkt("x")),
				SelectItem{Kind: SelectCount},
				with(embed("nominations", col("rank")), func(s *SelectItem) { s.Join = JoinInner }),
			),
		}},
		{"embed aggregate", "orders(amount.sum())", []SelectItem{embed("orders", with(col("amount"), func(s *SelectItem) { s.Aggregate = AggSum }))}},

		// Spread.
		{"spread", "title,...director(name)", []SelectItem{col("title"), spread("director", col("name"))}},
		{"spread hint inner", "...users!fk!inner(name)", []SelectItem{with(spread("users", col("name")), func(s *SelectItem) {
			s.Hint, s.Join = "fk", JoinInner
		})}},
		{"spread nested", "...a(x,...b(y,c(z)))", []SelectItem{spread("a", col("x"), spread("b", col("y"), embed("c", col("z"))))}},
		{"spread aliases inside", "...director(director_name:name)", []SelectItem{spread("director", aliased("director_name", col("name")))}},
		{"spread aggregate", "...orders(total:amount.sum())", []SelectItem{spread("orders", with(col("amount"), func(s *SelectItem) {
			s.Alias, s.Aggregate = "total", AggSum
		}))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSelect(tt.in)
			if err != nil {
				t.Fatalf("ParseSelect(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseSelect(%q) (-want +got):\n%s", tt.in, diff)
			}
			// The stable form parses back to the same tree.
			again, err := ParseSelect(FormatSelect(got))
			if err != nil {
				t.Fatalf("ParseSelect(FormatSelect) of %q: %v", FormatSelect(got), err)
			}
			if diff := cmp.Diff(got, again, cmpOpts...); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", FormatSelect(got), diff)
			}
		})
	}
}

func TestParseSelectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		message string
		details string
	}{
		// These four are PostgREST's own messages.
		{
			"id,clients(name[])", `"failed to parse select parameter (id,clients(name[]))" (line 1, column 16)`,
			`unexpected '[' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`,
		},
		{
			"data->>-78xy", `"failed to parse select parameter (data->>-78xy)" (line 1, column 11)`,
			`unexpected 'x' expecting digit, "->", "::", ".", "," or end of input`,
		},
		{
			"data->>--34", `"failed to parse select parameter (data->>--34)" (line 1, column 9)`,
			`unexpected "-" expecting digit`,
		},
		{
			"name::", `"failed to parse select parameter (name::)" (line 1, column 7)`,
			`unexpected end of input expecting letter or digit`,
		},

		{
			"id,", `"failed to parse select parameter (id,)" (line 1, column 4)`,
			`unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*" or "count()"`,
		},
		{
			"a,,b", `"failed to parse select parameter (a,,b)" (line 1, column 3)`,
			`unexpected "," expecting "...", field name (* or [a..z0..9_$]), "*" or "count()"`,
		},
		{",", `"failed to parse select parameter (,)" (line 1, column 1)`, ""},
		{
			"*!hint", `"failed to parse select parameter (*!hint)" (line 1, column 2)`,
			`unexpected '!' expecting ")", "," or end of input`,
		},
		{
			"name!hint", `"failed to parse select parameter (name!hint)" (line 1, column 10)`,
			`unexpected end of input expecting "("`,
		},
		{"rel->x(*)", `"failed to parse select parameter (rel->x(*))" (line 1, column 7)`, ""},
		{
			"rel(id", `"failed to parse select parameter (rel(id)" (line 1, column 7)`,
			`unexpected end of input expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`,
		},
		{
			"rel(id))", `"failed to parse select parameter (rel(id)))" (line 1, column 8)`,
			`unexpected ')' expecting ")", "," or end of input`,
		},
		{"a)b", `"failed to parse select parameter (a)b)" (line 1, column 2)`, ""},
		{
			"a.b", `"failed to parse select parameter (a.b)" (line 1, column 3)`,
			`unexpected "b" expecting "sum()", "avg()", "count()", "max()" or "min()"`,
		},
		{"a.sum", `"failed to parse select parameter (a.sum)" (line 1, column 3)`, ""},
		{"a.median()", `"failed to parse select parameter (a.median())" (line 1, column 3)`, ""},
		{
			`"unterminated`, `"failed to parse select parameter (\"unterminated)" (line 1, column 14)`,
			`unexpected end of input expecting "\""`,
		},
		{"a:b:c", `"failed to parse select parameter (a:b:c)" (line 1, column 4)`, ""},
		{"x:...rel(id)", `"failed to parse select parameter (x:...rel(id))" (line 1, column 3)`, ""},
		{"..rel(id)", `"failed to parse select parameter (..rel(id))" (line 1, column 1)`, ""},
		{"...rel", `"failed to parse select parameter (...rel)" (line 1, column 7)`, `unexpected end of input expecting "("`},
		{"rel!a!b!c(id)", `"failed to parse select parameter (rel!a!b!c(id))" (line 1, column 8)`, `unexpected "!" expecting "("`},
		{"a-", `"failed to parse select parameter (a-)" (line 1, column 3)`, ""},
		{"data->", `"failed to parse select parameter (data->)" (line 1, column 7)`, ""},
		{
			"data->(x)", `"failed to parse select parameter (data->(x))" (line 1, column 7)`,
			`unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`,
		},
		{"a\nb", `"failed to parse select parameter (a\nb)" (line 1, column 2)`, ""},
		{"a,\n", `"failed to parse select parameter (a,\n)" (line 1, column 3)`, ""},
		{"count()x", `"failed to parse select parameter (count()x)" (line 1, column 8)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSelect(tt.in)
			if err == nil {
				t.Fatalf("ParseSelect(%q) = %+v, want an error", tt.in, got)
			}
			checkErr(t, err, wantErr{status: 400, code: CodeQueryParam, message: tt.message, details: tt.details})
		})
	}
}

func TestParseSelectDepthLimit(t *testing.T) {
	t.Parallel()
	deep := func(n int) string {
		s := "id"
		for range n {
			s = "r(" + s + ")"
		}
		return s
	}
	if _, err := ParseSelect(deep(maxDepth)); err != nil {
		t.Fatalf("%d levels: %v", maxDepth, err)
	}
	_, err := ParseSelect(deep(maxDepth + 1))
	checkErr(t, err, wantErr{status: 400, code: CodeQueryParam})
}
