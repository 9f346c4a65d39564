package sqlb

import (
	"slices"
	"strings"
	"testing"
)

func TestBuilder(t *testing.T) {
	t.Parallel()
	var b Builder
	if p := b.Bind(1); p != "$1" {
		t.Errorf("first placeholder %q", p)
	}
	if p := b.Bind("x"); p != "$2" {
		t.Errorf("second placeholder %q", p)
	}
	if a, c := b.Alias("t"), b.Alias("e"); a != "t1" || c != "e2" {
		t.Errorf("aliases %q %q", a, c)
	}
	if got := b.Args(); !slices.Equal(got, []any{1, "x"}) {
		t.Errorf("args %v", got)
	}
	b.SetArgs([]any{"only"})
	if p := b.Bind(2); p != "$2" {
		t.Errorf("after SetArgs: %q", p)
	}
}

func TestSelectList(t *testing.T) {
	t.Parallel()
	plain := []Column{{Expr: "t1.a", Name: "a AS b"}, {Expr: "e2.v", Name: `x"y`, JSON: true}}
	list, group := SelectList(plain)
	if want := `t1.a AS "a AS b", e2.v AS "x""y"`; list != want || group != nil {
		t.Errorf("plain: %s %v; want %s", list, group, want)
	}
	grouped := append(slices.Clone(plain), Column{Expr: "count(*)", Name: "count", Agg: true})
	list, group = SelectList(grouped)
	if want := `t1.a AS "a AS b", (e2.v)::jsonb AS "x""y", count(*) AS "count"`; list != want || !slices.Equal(group, []string{"1", "2"}) {
		t.Errorf("grouped: %s %v; want %s [1 2]", list, group, want)
	}
}

// unquote reverses Ident for a name without NUL bytes.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Count(inner, `"`)%2 != 0 || strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
		return "", false
	}
	return strings.ReplaceAll(inner, `""`, `"`), true
}

// FuzzIdent: any name quotes into one identifier that reads back as the
// name (PostgreSQL names cannot hold NUL, which is dropped), and any string
// into one literal.
func FuzzIdent(f *testing.F) {
	for _, s := range []string{"", "a", `a"b`, "a AS b", "x$$y", "s;t", "ünï", `"`, `""`, "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, ok := unquote(Ident(name))
		if !ok || got != strings.ReplaceAll(name, "\x00", "") {
			t.Fatalf("Ident(%q) = %s", name, Ident(name))
		}
		lit := Literal(name)
		inner := lit[1 : len(lit)-1]
		if lit[0] != '\'' || lit[len(lit)-1] != '\'' || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			t.Fatalf("Literal(%q) = %s", name, lit)
		}
	})
}
