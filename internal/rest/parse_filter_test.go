package rest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFilter(t *testing.T) {
	t.Parallel()
	id := fld("id")
	tests := []struct {
		name       string
		key, value string
		want       Filter
	}{
		// Every operator.
		{"eq", "id", "eq.1", filter(nil, id, op(OpEq, "1"))},
		{"neq", "id", "neq.1", filter(nil, id, op(OpNeq, "1"))},
		{"gt", "id", "gt.1", filter(nil, id, op(OpGt, "1"))},
		{"gte", "id", "gte.1", filter(nil, id, op(OpGte, "1"))},
		{"lt", "id", "lt.1", filter(nil, id, op(OpLt, "1"))},
		{"lte", "id", "lte.1", filter(nil, id, op(OpLte, "1"))},
		{"like", "name", "like.*son", filter(nil, fld("name"), op(OpLike, "*son"))},
		{"ilike", "name", "ilike.*SON*", filter(nil, fld("name"), op(OpILike, "*SON*"))},
		{"match", "name", "match.^J.*n$", filter(nil, fld("name"), op(OpMatch, "^J.*n$"))},
		{"imatch", "name", "imatch.^j", filter(nil, fld("name"), op(OpIMatch, "^j"))},
		{"isdistinct", "id", "isdistinct.5", filter(nil, id, op(OpIsDistinct, "5"))},
		{"cs array", "tags", "cs.{a,b}", filter(nil, fld("tags"), op(OpCs, "{a,b}"))},
		{"cd array", "tags", "cd.{1,2,3}", filter(nil, fld("tags"), op(OpCd, "{1,2,3}"))},
		{"ov range", "during", "ov.[2000-01-01,2001-01-01)", filter(nil, fld("during"), op(OpOv, "[2000-01-01,2001-01-01)"))},
		{"sl", "r", "sl.(1,10)", filter(nil, fld("r"), op(OpSl, "(1,10)"))},
		{"sr", "r", "sr.[1,10]", filter(nil, fld("r"), op(OpSr, "[1,10]"))},
		{"nxl", "r", "nxl.(10,20)", filter(nil, fld("r"), op(OpNxl, "(10,20)"))},
		{"nxr", "r", "nxr.(10,20)", filter(nil, fld("r"), op(OpNxr, "(10,20)"))},
		{"adj", "r", "adj.(1,2)", filter(nil, fld("r"), op(OpAdj, "(1,2)"))},
		{"cs jsonb", "data", `cs.{"a":1}`, filter(nil, fld("data"), op(OpCs, `{"a":1}`))},

		// Values are raw: everything after the operator, quotes and all.
		{"value with dots", "v", "eq.a.b.c", filter(nil, fld("v"), op(OpEq, "a.b.c"))},
		{"value with commas and parens", "v", "eq.a,b)(c", filter(nil, fld("v"), op(OpEq, "a,b)(c"))},
		{"quoted value kept quoted", "v", `eq."x"`, filter(nil, fld("v"), op(OpEq, `"x"`))},
		{"empty value", "v", "eq.", filter(nil, fld("v"), op(OpEq, ""))},
		{"value with spaces", "v", "eq. a b ", filter(nil, fld("v"), op(OpEq, " a b "))},
		{"sql in value", "v", "eq.1; drop table x--", filter(nil, fld("v"), op(OpEq, "1; drop table x--"))},

		// in.
		{"in", "id", "in.(1,2,3)", filter(nil, id, OpExpr{Op: OpIn, List: []string{"1", "2", "3"}})},
		{"in quoted", "name", `in.(a,"b,c",d)`, filter(nil, fld("name"), OpExpr{Op: OpIn, List: []string{"a", "b,c", "d"}})},
		{"in quoted parens", "name", `in.("a)b","(c")`, filter(nil, fld("name"), OpExpr{Op: OpIn, List: []string{"a)b", "(c"}})},
		{"in escapes", "name", `in.("say \"hi\"","back\\slash")`, filter(nil, fld("name"), OpExpr{Op: OpIn, List: []string{`say "hi"`, `back\slash`}})},
		{"in quote not at end stays raw", "name", `in.("a"b,c)`, filter(nil, fld("name"), OpExpr{Op: OpIn, List: []string{`"a"b`, "c"}})},
		{"in whitespace", "id", "in.( 1, 2 )", filter(nil, id, OpExpr{Op: OpIn, List: []string{"1", " 2 "}})},
		{"in empty", "id", "in.()", filter(nil, id, OpExpr{Op: OpIn, List: []string{}})},
		{"in empty quoted", "id", `in.("")`, filter(nil, id, OpExpr{Op: OpIn, List: []string{""}})},
		{"in empty elements", "id", "in.(,)", filter(nil, id, OpExpr{Op: OpIn, List: []string{"", ""}})},
		{"not in", "id", "not.in.(1,2)", filter(nil, id, not(OpExpr{Op: OpIn, List: []string{"1", "2"}}))},

		// is.
		{"is null", "v", "is.null", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsNull})},
		{"is NULL", "v", "is.NULL", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsNull})},
		{"is not_null", "v", "is.not_null", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsNotNull})},
		{"is true", "v", "is.true", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsTrue})},
		{"is False", "v", "is.False", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsFalse})},
		{"is unknown", "v", "is.unknown", filter(nil, fld("v"), OpExpr{Op: OpIs, Is: IsUnknown})},
		{"not is null", "v", "not.is.null", filter(nil, fld("v"), not(OpExpr{Op: OpIs, Is: IsNull}))},

		// Full-text search.
		{"fts", "tsv", "fts.cat", filter(nil, fld("tsv"), op(OpFTS, "cat"))},
		{"fts language", "tsv", "fts(english).cat & dog", filter(nil, fld("tsv"), OpExpr{Op: OpFTS, Language: "english", Value: "cat & dog"})},
		{"plfts", "tsv", "plfts(french).amusant", filter(nil, fld("tsv"), OpExpr{Op: OpPLFTS, Language: "french", Value: "amusant"})},
		{"phfts", "tsv", "phfts.the cat", filter(nil, fld("tsv"), op(OpPHFTS, "the cat"))},
		{"wfts", "tsv", `wfts(simple)."cat" -dog`, filter(nil, fld("tsv"), OpExpr{Op: OpWFTS, Language: "simple", Value: `"cat" -dog`})},
		{"not fts", "tsv", "not.fts.cat", filter(nil, fld("tsv"), not(op(OpFTS, "cat")))},

		// Quantifiers.
		{"eq any", "id", "eq(any).{1,2}", filter(nil, id, OpExpr{Op: OpEq, Quantifier: QuantAny, Value: "{1,2}"})},
		{"like all", "name", "like(all).{a*,*b}", filter(nil, fld("name"), OpExpr{Op: OpLike, Quantifier: QuantAll, Value: "{a*,*b}"})},
		{"not gt all", "id", "not.gt(all).{1,2}", filter(nil, id, not(OpExpr{Op: OpGt, Quantifier: QuantAll, Value: "{1,2}"}))},
		{"imatch any", "n", "imatch(any).{^a,^b}", filter(nil, fld("n"), OpExpr{Op: OpIMatch, Quantifier: QuantAny, Value: "{^a,^b}"})},

		// not.
		{"not eq", "id", "not.eq.1", filter(nil, id, not(op(OpEq, "1")))},
		{"not value starting with not", "v", "eq.not.x", filter(nil, fld("v"), op(OpEq, "not.x"))},

		// Keys: JSON paths, embedded resources.
		{"json key", "data->>a", "eq.x", filter(nil, fld("data", jkt("a")), op(OpEq, "x"))},
		{"json nested", "data->a->>b", "eq.x", filter(nil, fld("data", jk("a"), jkt("b")), op(OpEq, "x"))},
		{"json index", "arr->0", "eq.1", filter(nil, fld("arr", ji("0")), op(OpEq, "1"))},
		{"embedded", "comments.author", "eq.x", filter([]string{"comments"}, fld("author"), op(OpEq, "x"))},
		{"embedded nested", "rel.nested.col", "gt.1", filter([]string{"rel", "nested"}, fld("col"), op(OpGt, "1"))},
		{"embedded json", "clients.data->>x", "eq.1", filter([]string{"clients"}, fld("data", jkt("x")), op(OpEq, "1"))},
		{"quoted key", `"my col"`, "eq.1", filter(nil, fld("my col"), op(OpEq, "1"))},
		{"quoted dotted key", `"a.b".c`, "eq.1", filter([]string{"a.b"}, fld("c"), op(OpEq, "1"))},
		{"embedded not null", "author", "not.is.null", filter(nil, fld("author"), not(OpExpr{Op: OpIs, Is: IsNull}))},
		{"column named select on embed", "rel.select", "eq.1", filter([]string{"rel"}, fld("select"), op(OpEq, "1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFilter(tt.key, tt.value)
			if err != nil {
				t.Fatalf("ParseFilter(%q, %q): %v", tt.key, tt.value, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseFilter(%q, %q) (-want +got):\n%s", tt.key, tt.value, diff)
			}
			again, err := ParseFilter(got.Key(), got.Expr.String())
			if err != nil {
				t.Fatalf("reparse %q=%q: %v", got.Key(), got.Expr.String(), err)
			}
			if diff := cmp.Diff(got, again, cmpOpts...); diff != "" {
				t.Errorf("round trip through %q=%q (-first +second):\n%s", got.Key(), got.Expr.String(), diff)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
		message    string
		details    string
	}{
		// PostgREST's own messages.
		{"id", "0", `"failed to parse filter (0)" (line 1, column 1)`, `unexpected "0" expecting "not" or operator (eq, gt, ...)`},
		{"id", "val", `"failed to parse filter (val)" (line 1, column 1)`, `unexpected "v" expecting "not" or operator (eq, gt, ...)`},

		{"id", "", `"failed to parse filter ()" (line 1, column 1)`, `unexpected end of input expecting "not" or operator (eq, gt, ...)`},
		{"id", "noop.0", `"failed to parse filter (noop.0)" (line 1, column 1)`, ""},
		{"id", "not.noop.0", `"failed to parse filter (not.noop.0)" (line 1, column 5)`, `unexpected "n" expecting operator (eq, gt, ...)`},
		{"id", "eq", `"failed to parse filter (eq)" (line 1, column 3)`, `unexpected end of input expecting "."`},
		{"id", "eq1", `"failed to parse filter (eq1)" (line 1, column 3)`, `unexpected "1" expecting "."`},
		{"id", "eq().1", `"failed to parse filter (eq().1)" (line 1, column 4)`, `unexpected ")" expecting "any" or "all"`},
		{"id", "eq(some).1", `"failed to parse filter (eq(some).1)" (line 1, column 4)`, ""},
		{"id", "neq(any).1", `"failed to parse filter (neq(any).1)" (line 1, column 4)`, `unexpected "(" expecting "."`},
		{"id", "is().1", `"failed to parse filter (is().1)" (line 1, column 3)`, `unexpected "(" expecting "."`},
		{"id", "in().1", `"failed to parse filter (in().1)" (line 1, column 3)`, `unexpected "(" expecting "."`},
		{"id", "in.1,2", `"failed to parse filter (in.1,2)" (line 1, column 4)`, `unexpected "1" expecting "("`},
		{"id", "in.(1,2", `"failed to parse filter (in.(1,2)" (line 1, column 8)`, `unexpected end of input expecting ")"`},
		{"id", "in.(1,2)x", `"failed to parse filter (in.(1,2)x)" (line 1, column 9)`, `unexpected 'x' expecting end of input`},
		{"v", "is.nil", `"failed to parse filter (is.nil)" (line 1, column 4)`, `unexpected "n" expecting isVal: (null, not_null, true, false, unknown)`},
		{"v", "is.nullx", `"failed to parse filter (is.nullx)" (line 1, column 4)`, ""},
		{"v", "is.null ", `"failed to parse filter (is.null )" (line 1, column 8)`, `unexpected ' ' expecting end of input`},
		{"v", "fts().x", `"failed to parse filter (fts().x)" (line 1, column 5)`, `unexpected ")" expecting letter or digit`},
		{"v", "fts(english.x", `"failed to parse filter (fts(english.x)" (line 1, column 12)`, `unexpected "." expecting ")"`},
		{"v", "plfts(a-b).x", `"failed to parse filter (plfts(a-b).x)" (line 1, column 8)`, ""},

		// Bad keys.
		{"", "eq.1", `"failed to parse tree path ()" (line 1, column 1)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`},
		{"a..b", "eq.1", `"failed to parse tree path (a..b)" (line 1, column 3)`, ""},
		{"a.", "eq.1", `"failed to parse tree path (a.)" (line 1, column 3)`, ""},
		{"a!b", "eq.1", `"failed to parse tree path (a!b)" (line 1, column 2)`, ""},
		{"data->", "eq.1", `"failed to parse tree path (data->)" (line 1, column 7)`, ""},
		{"data->a.b", "eq.1", `"failed to parse tree path (data->a.b)" (line 1, column 8)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFilter(tt.key, tt.value)
			if err == nil {
				t.Fatalf("ParseFilter(%q, %q) = %+v, want an error", tt.key, tt.value, got)
			}
			checkErr(t, err, wantErr{status: 400, code: CodeQueryParam, message: tt.message, details: tt.details})
		})
	}
}

func TestParseLogic(t *testing.T) {
	t.Parallel()
	a, b, c := fld("a"), fld("b"), fld("c")
	tests := []struct {
		name       string
		key, value string
		want       Logic
	}{
		{"or", "or", "(a.eq.1,b.gt.2)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "1")), cond(b, op(OpGt, "2")),
		}}}},
		{"and", "and", "(a.eq.1)", Logic{LogicExpr: LogicExpr{Op: LogicAnd, Children: []LogicNode{cond(a, op(OpEq, "1"))}}}},
		{"not.or", "not.or", "(a.eq.1,b.eq.2)", Logic{LogicExpr: LogicExpr{Negate: true, Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "1")), cond(b, op(OpEq, "2")),
		}}}},
		{"nested", "or", "(a.eq.1,and(b.gt.2,c.lt.3))", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "1")),
			group(false, LogicAnd, cond(b, op(OpGt, "2")), cond(c, op(OpLt, "3"))),
		}}}},
		{"deeply nested", "and", "(or(a.eq.1,not.and(b.eq.2,or(c.eq.3,c.eq.4))),a.neq.5)", Logic{LogicExpr: LogicExpr{Op: LogicAnd, Children: []LogicNode{
			group(false, LogicOr,
				cond(a, op(OpEq, "1")),
				group(true, LogicAnd, cond(b, op(OpEq, "2")), group(false, LogicOr, cond(c, op(OpEq, "3")), cond(c, op(OpEq, "4"))))),
			cond(a, op(OpNeq, "5")),
		}}}},
		{"embedded", "comments.or", "(a.eq.1,b.eq.2)", Logic{Path: []string{"comments"}, LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "1")), cond(b, op(OpEq, "2")),
		}}}},
		{"embedded nested not", "clients.projects.not.and", "(a.eq.1)", Logic{Path: []string{"clients", "projects"}, LogicExpr: LogicExpr{
			Negate: true, Op: LogicAnd, Children: []LogicNode{cond(a, op(OpEq, "1"))},
		}}},
		{"not inside path", "clients.not.or", "(a.eq.1)", Logic{Path: []string{"clients"}, LogicExpr: LogicExpr{
			Negate: true, Op: LogicOr, Children: []LogicNode{cond(a, op(OpEq, "1"))},
		}}},
		{"quoted values", "or", `(a.eq."x,y",b.eq."(z)",c.eq."say \"hi\"")`, Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "x,y")), cond(b, op(OpEq, "(z)")), cond(c, op(OpEq, `say "hi"`)),
		}}}},
		{"quoted range", "or", `(r.ov."[1,10)",r.adj."(1,2)")`, Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("r"), op(OpOv, "[1,10)")), cond(fld("r"), op(OpAdj, "(1,2)")),
		}}}},
		{"array literal", "or", "(tags.cs.{a,b},id.eq.3)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("tags"), op(OpCs, "{a,b}")), cond(fld("id"), op(OpEq, "3")),
		}}}},
		{"quantifier", "or", "(a.eq(any).{1,2},b.like(all).{x*,*y})", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, OpExpr{Op: OpEq, Quantifier: QuantAny, Value: "{1,2}"}), cond(b, OpExpr{Op: OpLike, Quantifier: QuantAll, Value: "{x*,*y}"}),
		}}}},
		{"in and is", "or", `(id.in.(1,"2,3"),v.is.null,w.not.is.true)`, Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("id"), OpExpr{Op: OpIn, List: []string{"1", "2,3"}}),
			cond(fld("v"), OpExpr{Op: OpIs, Is: IsNull}),
			cond(fld("w"), not(OpExpr{Op: OpIs, Is: IsTrue})),
		}}}},
		{"fts", "or", "(tsv.fts(english).cat,tsv.wfts.dog)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("tsv"), OpExpr{Op: OpFTS, Language: "english", Value: "cat"}), cond(fld("tsv"), op(OpWFTS, "dog")),
		}}}},
		{"json path", "or", "(data->>a.eq.1,data->0->b.gt.2)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("data", jkt("a")), op(OpEq, "1")), cond(fld("data", ji("0"), jk("b")), op(OpGt, "2")),
		}}}},
		{"embedded resource null test", "or", "(code.ilike.*x*,types.not.is.null)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("code"), op(OpILike, "*x*")), cond(fld("types"), not(OpExpr{Op: OpIs, Is: IsNull})),
		}}}},
		{"whitespace", "and", "( and ( id.in.( 1, 2, 3 ) , id.eq.3 ) , or ( id.eq.2 , id.eq.3 ) )", Logic{LogicExpr: LogicExpr{Op: LogicAnd, Children: []LogicNode{
			group(false, LogicAnd, cond(fld("id"), OpExpr{Op: OpIn, List: []string{"1", " 2", " 3 "}}), cond(fld("id"), op(OpEq, "3 "))),
			group(false, LogicOr, cond(fld("id"), op(OpEq, "2 ")), cond(fld("id"), op(OpEq, "3 "))),
		}}}},
		{"columns named and or", "or", "(and.eq.1,or.eq.2,not.eq.3)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(fld("and"), op(OpEq, "1")), cond(fld("or"), op(OpEq, "2")), cond(fld("not"), op(OpEq, "3")),
		}}}},
		{"empty value", "or", "(a.eq.,b.eq.)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "")), cond(b, op(OpEq, "")),
		}}}},
		{"quote not at end stays raw", "or", `(a.eq."x"y,b.eq.1)`, Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, `"x"y`)), cond(b, op(OpEq, "1")),
		}}}},
		{"value with open paren", "or", "(a.eq.f(x,b.eq.1)", Logic{LogicExpr: LogicExpr{Op: LogicOr, Children: []LogicNode{
			cond(a, op(OpEq, "f(x")), cond(b, op(OpEq, "1")),
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLogic(tt.key, tt.value)
			if err != nil {
				t.Fatalf("ParseLogic(%q, %q): %v", tt.key, tt.value, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseLogic(%q, %q) (-want +got):\n%s", tt.key, tt.value, diff)
			}
			again, err := ParseLogic(got.Key(), got.Value())
			if err != nil {
				t.Fatalf("reparse %q=%q: %v", got.Key(), got.Value(), err)
			}
			if diff := cmp.Diff(got, again, cmpOpts...); diff != "" {
				t.Errorf("round trip through %q=%q (-first +second):\n%s", got.Key(), got.Value(), diff)
			}
		})
	}
}

func TestParseLogicErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
		message    string
		details    string
	}{
		// PostgREST's own messages.
		{
			"or", "()", `"failed to parse logic tree (())" (line 1, column 4)`,
			`unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`,
		},
		{"or", "(id.in.1,2,id.eq.3)", `"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)`, `unexpected "1" expecting "("`},
		{"or", ")(", `"failed to parse logic tree ()()" (line 1, column 3)`, `unexpected ")" expecting "("`},

		{"or", "", `"failed to parse logic tree ()" (line 1, column 3)`, `unexpected end of input expecting "("`},
		{"or", "(a.eq.1", `"failed to parse logic tree ((a.eq.1)" (line 1, column 10)`, `unexpected end of input expecting ")" or ","`},
		{"or", "(a.eq.1))", `"failed to parse logic tree ((a.eq.1)))" (line 1, column 11)`, `unexpected ')' expecting end of input`},
		{"or", "(a.eq.1,)", `"failed to parse logic tree ((a.eq.1,))" (line 1, column 11)`, ""},
		{"or", "(a.eq.1,not.xor(b.eq.2))", `"failed to parse logic tree ((a.eq.1,not.xor(b.eq.2)))" (line 1, column 15)`, ""},
		{"or", "(a.xx.1)", `"failed to parse logic tree ((a.xx.1))" (line 1, column 6)`, ""},
		{"or", "(a)", `"failed to parse logic tree ((a))" (line 1, column 5)`, `unexpected ")" expecting "."`},
		{"or", "(r.ov.[1,10))", `"failed to parse logic tree ((r.ov.[1,10)))" (line 1, column 14)`, `unexpected ")" expecting "."`},
		{"not.or", "(a.is.nul)", `"failed to parse logic tree ((a.is.nul))" (line 1, column 13)`, ""},
		{"x.y.and", "(a.eq.1", `"failed to parse logic tree ((a.eq.1)" (line 1, column 11)`, ""},
		{"..or", "(a.eq.1)", `"failed to parse logic path (..or)" (line 1, column 1)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLogic(tt.key, tt.value)
			if err == nil {
				t.Fatalf("ParseLogic(%q, %q) = %+v, want an error", tt.key, tt.value, got)
			}
			checkErr(t, err, wantErr{status: 400, code: CodeQueryParam, message: tt.message, details: tt.details})
		})
	}
}

func TestParseLogicDepthLimit(t *testing.T) {
	t.Parallel()
	deep := func(n int) string {
		s := "a.eq.1"
		for range n {
			s = "or(" + s + ")"
		}
		return s[2:] // the key gives the root operator
	}
	if _, err := ParseLogic("or", deep(maxDepth)); err != nil {
		t.Fatalf("%d levels: %v", maxDepth, err)
	}
	_, err := ParseLogic("or", deep(maxDepth+2))
	checkErr(t, err, wantErr{status: 400, code: CodeQueryParam})
}

func TestParseOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		key, value string
		want       Order
	}{
		{"column", "order", "id", Order{Terms: []OrderTerm{{Field: fld("id")}}}},
		{"desc nullslast", "order", "id.desc.nullslast", Order{Terms: []OrderTerm{{Field: fld("id"), Dir: OrderDesc, Nulls: NullsLast}}}},
		{"asc nullsfirst", "order", "id.asc.nullsfirst", Order{Terms: []OrderTerm{{Field: fld("id"), Dir: OrderAsc, Nulls: NullsFirst}}}},
		{"nulls only", "order", "id.nullsfirst", Order{Terms: []OrderTerm{{Field: fld("id"), Nulls: NullsFirst}}}},
		{"several", "order", "age.desc,height.asc,name", Order{Terms: []OrderTerm{
			{Field: fld("age"), Dir: OrderDesc}, {Field: fld("height"), Dir: OrderAsc}, {Field: fld("name")},
		}}},
		{"whitespace", "order", " age.desc , name ", Order{Terms: []OrderTerm{{Field: fld("age"), Dir: OrderDesc}, {Field: fld("name")}}}},
		{"json", "order", "json_col->key.asc.nullslast", Order{Terms: []OrderTerm{{Field: fld("json_col", jk("key")), Dir: OrderAsc, Nulls: NullsLast}}}},
		{"json text and index", "order", "data->>a,data->0.desc", Order{Terms: []OrderTerm{
			{Field: fld("data", jkt("a"))}, {Field: fld("data", ji("0")), Dir: OrderDesc},
		}}},
		{"related", "order", "clients(name).desc.nullsfirst", Order{Terms: []OrderTerm{
			{Relation: "clients", Field: fld("name"), Dir: OrderDesc, Nulls: NullsFirst},
		}}},
		{"related json", "order", "clients(json_col->key).desc", Order{Terms: []OrderTerm{
			{Relation: "clients", Field: fld("json_col", jk("key")), Dir: OrderDesc},
		}}},
		{"mixed", "order", "name,clients(name),id", Order{Terms: []OrderTerm{
			{Field: fld("name")}, {Relation: "clients", Field: fld("name")}, {Field: fld("id")},
		}}},
		{"embedded", "comments.order", "id.desc", Order{Path: []string{"comments"}, Terms: []OrderTerm{{Field: fld("id"), Dir: OrderDesc}}}},
		{"embedded nested", "a.b.order", "x", Order{Path: []string{"a", "b"}, Terms: []OrderTerm{{Field: fld("x")}}}},
		{"quoted", "order", `"my col".desc`, Order{Terms: []OrderTerm{{Field: fld("my col"), Dir: OrderDesc}}}},
		{"column named asc", "order", "asc.desc", Order{Terms: []OrderTerm{{Field: fld("asc"), Dir: OrderDesc}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOrder(tt.key, tt.value)
			if err != nil {
				t.Fatalf("ParseOrder(%q, %q): %v", tt.key, tt.value, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseOrder(%q, %q) (-want +got):\n%s", tt.key, tt.value, diff)
			}
			again, err := ParseOrder(got.Key(), got.Value())
			if err != nil {
				t.Fatalf("reparse %q=%q: %v", got.Key(), got.Value(), err)
			}
			if diff := cmp.Diff(got, again, cmpOpts...); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestParseOrderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		message string
		details string
	}{
		// PostgREST's own messages.
		{"id.asc.nullslasttt", `"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)`, `unexpected 't' expecting "," or end of input`},
		{"id.nullslasttt", `"failed to parse order (id.nullslasttt)" (line 1, column 13)`, `unexpected 't' expecting "," or end of input`},
		{"id.descc", `"failed to parse order (id.descc)" (line 1, column 8)`, `unexpected 'c' expecting delimiter (.), "," or end of input`},
		{"clients(name,id)", `"failed to parse order (clients(name,id))" (line 1, column 13)`, `unexpected "," expecting ")"`},
		{"id.asc.nlsfst", `"failed to parse order (id.asc.nlsfst)" (line 1, column 8)`, `unexpected "n" expecting "nullsfirst" or "nullslast"`},

		{"id.ac", `"failed to parse order (id.ac)" (line 1, column 4)`, `unexpected "a" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
		{"", `"failed to parse order ()" (line 1, column 1)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`},
		{"id,", `"failed to parse order (id,)" (line 1, column 4)`, ""},
		{"id.desc.asc", `"failed to parse order (id.desc.asc)" (line 1, column 9)`, ""},
		{"id.nullsfirst.desc", `"failed to parse order (id.nullsfirst.desc)" (line 1, column 14)`, `unexpected '.' expecting "," or end of input`},
		{"a b c!", `"failed to parse order (a b c!)" (line 1, column 6)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOrder("order", tt.value)
			if err == nil {
				t.Fatalf("ParseOrder(%q) = %+v, want an error", tt.value, got)
			}
			checkErr(t, err, wantErr{status: 400, code: CodeQueryParam, message: tt.message, details: tt.details})
		})
	}
}
