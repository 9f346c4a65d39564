package rest

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	starSel := []SelectItem{star()}
	eq := func(v string) OpExpr { return op(OpEq, v) }
	tests := []struct {
		name string
		raw  string
		opts QueryOptions
		want Query
	}{
		{"empty", "", QueryOptions{}, Query{Select: starSel, Range: AllRows}},
		{"question mark", "?", QueryOptions{}, Query{Select: starSel, Range: AllRows}},
		{"select", "select=id,name", QueryOptions{}, Query{Select: []SelectItem{col("id"), col("name")}, Range: AllRows}},
		{"empty select", "select=", QueryOptions{}, Query{Select: []SelectItem{}, Range: AllRows}},
		{"bare select is star", "select&id=eq.1", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("id"), eq("1"))},
		}},
		{"first select wins", "select=id&select=name", QueryOptions{}, Query{Select: []SelectItem{col("id")}, Range: AllRows}},
		{"percent and plus decoding", "select=first%20name,a+b&name=eq.J%C3%B6rg+M", QueryOptions{}, Query{
			Select:  []SelectItem{col("first name"), col("a b")},
			Range:   AllRows,
			Filters: []Filter{filter(nil, fld("name"), eq("Jörg M"))},
		}},
		{"encoded separators", "name=eq.a%26b%3Bc%3Dd%2B", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("name"), eq("a&b;c=d+"))},
		}},
		{"bad percent kept", "name=eq.100%", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("name"), eq("100%"))},
		}},
		{"semicolon separates", "a=eq.1;b=eq.2", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("a"), eq("1")), filter(nil, fld("b"), eq("2"))},
		}},
		{"valueless keys ignored", "a&&b=eq.2&", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("b"), eq("2"))},
		}},
		{"repeated filters", "id=gt.1&id=lt.10", QueryOptions{}, Query{
			Select: starSel, Range: AllRows,
			Filters: []Filter{filter(nil, fld("id"), op(OpGt, "1")), filter(nil, fld("id"), op(OpLt, "10"))},
		}},
		{"value with equals", "expr=eq.a=b", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("expr"), eq("a=b"))},
		}},
		{"embedded filters", "select=*,comments(*)&comments.author=eq.x&comments.likes.n=gt.1", QueryOptions{}, Query{
			Select: []SelectItem{star(), embed("comments", star())},
			Range:  AllRows,
			Filters: []Filter{
				filter([]string{"comments"}, fld("author"), eq("x")),
				filter([]string{"comments", "likes"}, fld("n"), op(OpGt, "1")),
			},
		}},
		{"logic", "or=(a.eq.1,b.eq.2)&comments.not.and=(c.gt.3)", QueryOptions{}, Query{
			Select: starSel, Range: AllRows,
			Logic: []Logic{
				{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{cond(fld("a"), eq("1")), cond(fld("b"), eq("2"))}}},
				{Path: []string{"comments"}, LogicExpr: LogicExpr{Negate: true, Op: LogicAnd, Children: []LogicNode{cond(fld("c"), op(OpGt, "3"))}}},
			},
		}},
		{"order", "order=id.desc&comments.order=created_at.asc.nullsfirst", QueryOptions{}, Query{
			Select: starSel, Range: AllRows,
			Order: []Order{
				{Terms: []OrderTerm{{Field: fld("id"), Dir: OrderDesc}}},
				{Path: []string{"comments"}, Terms: []OrderTerm{{Field: fld("created_at"), Dir: OrderAsc, Nulls: NullsFirst}}},
			},
		}},
		{"limit offset", "limit=10&offset=20", QueryOptions{}, Query{Select: starSel, Range: Range{Offset: 20, Limit: 10}}},
		{"limit only", "limit=5", QueryOptions{}, Query{Select: starSel, Range: Range{Limit: 5}}},
		{"offset only", "offset=5", QueryOptions{}, Query{Select: starSel, Range: Range{Offset: 5, Limit: NoLimit}}},
		{"limit zero", "limit=0", QueryOptions{}, Query{Select: starSel, Range: Range{Limit: 0}}},
		{"last limit wins", "limit=5&limit=7", QueryOptions{}, Query{Select: starSel, Range: Range{Limit: 7}}},
		{"limit with spaces", "limit=+5+", QueryOptions{}, Query{Select: starSel, Range: Range{Limit: 5}}},
		{"non-integer limit ignored", "limit=abc&offset=1.5", QueryOptions{}, Query{Select: starSel, Range: AllRows}},
		{"huge limit clamped", "limit=99999999999999999999999", QueryOptions{}, Query{Select: starSel, Range: Range{Limit: math.MaxInt64}}},
		{"embedded ranges", "comments.limit=2&comments.offset=1&a.b.offset=3&limit=1", QueryOptions{}, Query{
			Select: starSel, Range: Range{Limit: 1},
			EmbedRanges: []EmbedRange{
				{Path: []string{"comments"}, Range: Range{Offset: 1, Limit: 2}},
				{Path: []string{"a", "b"}, Range: Range{Offset: 3, Limit: NoLimit}},
			},
		}},
		{"columns", "columns=id,name,%22c%20d%22", QueryOptions{}, Query{Select: starSel, Range: AllRows, Columns: []string{"id", "name", "c d"}}},
		{"columns whitespace", "columns=+id+,+name", QueryOptions{}, Query{Select: starSel, Range: AllRows, Columns: []string{"id", "name"}}},
		{"on_conflict", "on_conflict=id,name", QueryOptions{}, Query{Select: starSel, Range: AllRows, OnConflict: []string{"id", "name"}}},
		{"reserved only at root", "comments.select=eq.1", QueryOptions{}, Query{
			Select: starSel, Range: AllRows, Filters: []Filter{filter([]string{"comments"}, fld("select"), eq("1"))},
		}},
		{"quoted reserved is a filter", `"order"=eq.1&"limit"=eq.2`, QueryOptions{}, Query{
			Select: starSel, Range: AllRows,
			Filters: []Filter{filter(nil, fld("order"), eq("1")), filter(nil, fld("limit"), eq("2"))},
		}},

		// Routine reads: every non-reserved key is an argument.
		{"rpc args", "a=1&b=two&id=eq.3&select=x&limit=4&order=a", QueryOptions{RoutineRead: true}, Query{
			Select: []SelectItem{col("x")},
			Range:  Range{Limit: 4},
			Order:  []Order{{Terms: []OrderTerm{{Field: fld("a")}}}},
			Args: []Arg{
				{Name: "a", Value: "1"},
				{Name: "b", Value: "two"},
				{Name: "id", Value: "eq.3", Filter: &Filter{Condition: Condition{Field: fld("id"), Expr: eq("3")}}},
			},
		}},
		{"rpc operator-like arg", "x=equals&y=not.valid&z=in.(1", QueryOptions{RoutineRead: true}, Query{
			Select: starSel, Range: AllRows,
			Args: []Arg{{Name: "x", Value: "equals"}, {Name: "y", Value: "not.valid"}, {Name: "z", Value: "in.(1"}},
		}},
		{"rpc variadic", "v=1&v=2&v=3", QueryOptions{RoutineRead: true}, Query{
			Select: starSel, Range: AllRows,
			Args: []Arg{{Name: "v", Value: "1"}, {Name: "v", Value: "2"}, {Name: "v", Value: "3"}},
		}},
		{"rpc embedded filter", "select=*,rel(*)&rel.x=eq.1", QueryOptions{RoutineRead: true}, Query{
			Select: []SelectItem{star(), embed("rel", star())}, Range: AllRows,
			Args: []Arg{{Name: "rel.x", Value: "eq.1", Filter: &Filter{Path: []string{"rel"}, Condition: Condition{Field: fld("x"), Expr: eq("1")}}}},
		}},
		{"rpc empty arg", "a=", QueryOptions{RoutineRead: true}, Query{Select: starSel, Range: AllRows, Args: []Arg{{Name: "a", Value: ""}}}},
		{"rpc post filters", "id=eq.3", QueryOptions{}, Query{Select: starSel, Range: AllRows, Filters: []Filter{filter(nil, fld("id"), eq("3"))}}},

		// Everything at once.
		{"realistic", "select=id,title,author:users!author_id(name,email),comments!inner(id,body,likes.count())" +
			"&published=is.true&title=ilike.*postgres*&comments.body=not.is.null&or=(views.gt.100,featured.eq.true)" +
			"&order=created_at.desc.nullslast,id&comments.order=id.desc&limit=20&offset=40&comments.limit=5", QueryOptions{}, Query{
			Select: []SelectItem{
				col("id"), col("title"),
				with(embed("users", col("name"), col("email")), func(s *SelectItem) { s.Alias, s.Hint = "author", "author_id" }),
				with(embed("comments", col("id"), col("body"), with(col("likes"), func(s *SelectItem) { s.Aggregate = AggCount })),
					func(s *SelectItem) { s.Join = JoinInner }),
			},
			Filters: []Filter{
				filter(nil, fld("published"), OpExpr{Op: OpIs, Is: IsTrue}),
				filter(nil, fld("title"), op(OpILike, "*postgres*")),
				filter([]string{"comments"}, fld("body"), not(OpExpr{Op: OpIs, Is: IsNull})),
			},
			Logic: []Logic{{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
				cond(fld("views"), op(OpGt, "100")), cond(fld("featured"), eq("true")),
			}}}},
			Order: []Order{
				{Terms: []OrderTerm{{Field: fld("created_at"), Dir: OrderDesc, Nulls: NullsLast}, {Field: fld("id")}}},
				{Path: []string{"comments"}, Terms: []OrderTerm{{Field: fld("id"), Dir: OrderDesc}}},
			},
			Range:       Range{Offset: 40, Limit: 20},
			EmbedRanges: []EmbedRange{{Path: []string{"comments"}, Range: Range{Limit: 5}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseQuery(tt.raw, tt.opts)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.raw, err)
			}
			if (got.Select == nil) != (tt.want.Select == nil) || len(got.Select) != len(tt.want.Select) {
				t.Errorf("Select = %#v, want %#v", got.Select, tt.want.Select)
			}
			if diff := cmp.Diff(&tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseQuery(%q) (-want +got):\n%s", tt.raw, diff)
			}
			enc := got.Encode()
			again, err := ParseQuery(enc, tt.opts)
			if err != nil {
				t.Fatalf("ParseQuery(Encode()) of %q: %v", enc, err)
			}
			if diff := cmp.Diff(got, again, cmpOpts...); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", enc, diff)
			}
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		opts QueryOptions
		want wantErr
	}{
		{"filter without operator", "id=0", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse filter (0)" (line 1, column 1)`, `unexpected "0" expecting "not" or operator (eq, gt, ...)`,
		}},
		{"empty filter value", "id=", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse filter ()" (line 1, column 1)`, ""}},
		{"bad select", "select=data->>--34", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse select parameter (data->>--34)" (line 1, column 9)`, `unexpected "-" expecting digit`,
		}},
		{"decoded select in message", "select=data-%3E(!@%23$%25^%26*_d", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse select parameter (data->(!@#$%^&*_d)" (line 1, column 7)`,
			`unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`,
		}},
		{"bad order", "order=id.asc.nullslasttt", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)`, `unexpected 't' expecting "," or end of input`,
		}},
		{"empty order", "order=", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse order ()" (line 1, column 1)`, ""}},
		{"bad logic", "or=()", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse logic tree (())" (line 1, column 4)`, ""}},
		{"blank columns", "columns=", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse columns parameter ()" (line 1, column 1)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`,
		}},
		{"bad columns", "columns=a,,b", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse columns parameter (a,,b)" (line 1, column 3)`, ""}},
		{"bad on_conflict", "on_conflict=a)", QueryOptions{}, wantErr{
			400, CodeQueryParam,
			`"failed to parse on_conflict parameter (a))" (line 1, column 2)`, `unexpected ')' expecting "," or end of input`,
		}},
		{"bad tree path", "a..b=eq.1", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse tree path (a..b)" (line 1, column 3)`, ""}},
		{"order before select", "select=(&order=.", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse order (.)" (line 1, column 1)`, ""}},
		{"logic before filters", "id=bad&or=(", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse logic tree (()" (line 1, column 4)`, ""}},
		{"negative limit", "limit=-1", QueryOptions{}, wantErr{416, CodeInvalidRange, "Requested range not satisfiable", "Limit should be greater than or equal to zero."}},
		{"negative offset", "offset=-1", QueryOptions{}, wantErr{400, "2201X", "OFFSET must not be negative", ""}},
		{"negative embedded limit", "comments.limit=-2", QueryOptions{}, wantErr{400, "2201W", "LIMIT must not be negative", ""}},
		{"negative embedded offset", "comments.offset=-2", QueryOptions{}, wantErr{400, "2201X", "OFFSET must not be negative", ""}},
		{"bad range path", "a..limit=1", QueryOptions{}, wantErr{400, CodeQueryParam, `"failed to parse tree path (a..limit)" (line 1, column 3)`, ""}},
		{"rpc still parses reserved", "a=1&order=.", QueryOptions{RoutineRead: true}, wantErr{400, CodeQueryParam, `"failed to parse order (.)" (line 1, column 1)`, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseQuery(tt.raw, tt.opts)
			if err == nil {
				t.Fatalf("ParseQuery(%q) = %+v, want an error", tt.raw, got)
			}
			checkErr(t, err, tt.want)
		})
	}
}

func TestDecodeQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want []queryParam
	}{
		{"", nil},
		{"a=1+2&b=%2C&c", []queryParam{{"a", "1 2", true}, {"b", ",", true}, {"c", "", false}}},
		{"?x=1;y=2", []queryParam{{"x", "1", true}, {"y", "2", true}}},
		{"a=1&", []queryParam{{"a", "1", true}}},
		{"d=", []queryParam{{"d", "", true}}},
		{"%zz=%4", []queryParam{{"%zz", "%4", true}}},
		{"k%3Dv=w", []queryParam{{"k=v", "w", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got := decodeQuery(tt.raw)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(queryParam{}), cmpOpts[0]); diff != "" {
				t.Errorf("decodeQuery(%q) (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}
