package rest

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seeds shared by the fuzz targets: the grammar's corners.
var selectSeeds = []string{
	"*", "", "id,name", `"my col",a-b,first name`, "alias:col::text", "data->a->>b,data->0,data->-1",
	`data->"0"->>"a.b"`, "x:data->>x::int", "amount.sum(),amount.avg()::int,top:amount.max(),count(),c:count()::int",
	"total:amount::numeric.sum()::text", "author:users!author_id(*),comments!inner(id,body)",
	"rel!fk!left(a,b(c(d)))", "...director(name),...users!fk!inner(x)", `"count"(id),count(id),users!"inner"()`,
	" id , name ( a , b ) ", "prénom,名前", `"a\"b\\c"`, "id,clients(name[])", "data->>-78xy", "a)b", "rel(",
}

var querySeeds = []string{
	"", "select=id,name&id=eq.1", "select=*,comments(*)&comments.author=eq.x&comments.order=id.desc&comments.limit=2",
	"or=(a.eq.1,and(b.gt.2,c.lt.3))&not.and=(x.is.null,y.in.(1,\"2,3\"))", `or=(a.eq."x,y",tags.cs.{a,b},r.ov."[1,10)")`,
	"name=in.(a,\"b,c\",d)&v=is.NULL&t=fts(english).cat&q=like(any).{a*,b*}&w=not.eq(all).{1}",
	"order=id.desc.nullslast,rel(col).asc,data->a&limit=10&offset=5", "columns=a,b&on_conflict=id",
	"data->>a=eq.x&arr->0=gt.1&a.b.c=neq.2", "limit=-1", "offset=-1", "x.limit=-1", "a=1&b=two&v=1&v=2",
	"select=data-%3E(!@%23$%25^%26*_d", "%22order%22=eq.1&a;b=eq.2", "or=()", "id=0", "select&select=x",
	"clients.not.or=(a.eq.1)&\"a.b\".c=eq.1", "or=(and.eq.1,or.eq.2,not.eq.3)", "a=eq.%FF%FE",
	`or=(a.eq."x\\")`, `or=(a.eq."\\`, `a=in.("x" )`, `or=(a.in.("a\\"b",c))`, `select=a->"\\"`,
	`order="a"(b->"c").desc`, "or=(not.and(a.eq.1),not.or(b.eq.2))", "x.not.y.or=(a.eq.1)", "%22not%22.or=(a.eq.1)",
	"a=in.()&b=in.(%22%22)&c=in.(,)", "or=(a.eq.{1,2},b.eq.{x)", "select=count(),%22count%22(),count(a)",
	"or=(a->0->>-1.is.true)&order=a->-1.asc", "select=a::double  precision,b:c::int.sum()::text",
}

func FuzzParseSelect(f *testing.F) {
	for _, s := range selectSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseSelect(s)
		if err != nil {
			e := mustBeError(t, err, CodeQueryParam)
			if !strings.HasPrefix(e.Message, `"failed to parse select parameter (`) {
				t.Fatalf("message %q does not name the parameter", e.Message)
			}
			return
		}
		checkDerived(t, s, items)
		out := FormatSelect(items)
		again, err := ParseSelect(out)
		if err != nil {
			t.Fatalf("ParseSelect(%q) = %+v\nFormatSelect = %q does not parse: %v", s, items, out, err)
		}
		if diff := cmp.Diff(items, again, cmpOpts...); diff != "" {
			t.Fatalf("ParseSelect(%q) through %q (-first +second):\n%s", s, out, diff)
		}
		if out2 := FormatSelect(again); out2 != out {
			t.Fatalf("FormatSelect is not stable: %q then %q", out, out2)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, routineRead bool) {
		opts := QueryOptions{RoutineRead: routineRead}
		q, err := ParseQuery(raw, opts)
		if err != nil {
			mustBeError(t, err, CodeQueryParam, CodeInvalidRange, codeNegativeLimit, codeNegativeOffset)
			return
		}
		// Every name and value comes from the decoded query string.
		var decoded strings.Builder
		for _, kv := range decodeQuery(raw) {
			decoded.WriteString(kv.key)
			decoded.WriteByte(0)
			decoded.WriteString(kv.value)
			decoded.WriteByte(0)
		}
		checkDerived(t, decoded.String(), q)
		if !routineRead && len(q.Args) > 0 || routineRead && len(q.Filters) > 0 {
			t.Fatalf("filters %d and args %d in mode %+v", len(q.Filters), len(q.Args), opts)
		}
		if q.Range.Offset < 0 || q.Range.Limit < NoLimit {
			t.Fatalf("negative range %+v", q.Range)
		}
		enc := q.Encode()
		again, err := ParseQuery(enc, opts)
		if err != nil {
			t.Fatalf("ParseQuery(%q) = %+v\nEncode = %q does not parse: %v", raw, q, enc, err)
		}
		if diff := cmp.Diff(q, again, cmpOpts...); diff != "" {
			t.Fatalf("ParseQuery(%q) through %q (-first +second):\n%s", raw, enc, diff)
		}
		if enc2 := again.Encode(); enc2 != enc {
			t.Fatalf("Encode is not stable: %q then %q", enc, enc2)
		}
	})
}

// mustBeError checks that err is a client *Error with one of codes.
func mustBeError(t *testing.T, err error, codes ...string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	ok := false
	for _, c := range codes {
		ok = ok || e.Code == c
	}
	if !ok || (e.Status != 400 && e.Status != 416) || e.Message == "" {
		t.Fatalf("unexpected error %+v", e)
	}
	return e
}

// checkDerived fails unless every string in v is a subsequence of src: the
// parser only selects, unescapes and trims what the client sent; it never
// makes up text (and so never makes up SQL).
func checkDerived(t *testing.T, src string, v any) {
	t.Helper()
	walkStrings(reflect.ValueOf(v), func(s string) {
		if !isSubsequence(s, src) {
			t.Fatalf("%q is not derived from the input %q", s, src)
		}
	})
}

func walkStrings(v reflect.Value, visit func(string)) {
	switch v.Kind() {
	case reflect.String:
		visit(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), visit)
		}
	}
}

func isSubsequence(sub, s string) bool {
	j := 0
	for i := 0; i < len(s) && j < len(sub); i++ {
		if s[i] == sub[j] {
			j++
		}
	}
	return j == len(sub)
}

// BenchmarkParseQuery parses a realistic supabase-js request: embeddings with
// hints and !inner, filters on the root and an embedding, a logic tree, order
// at two levels and ranges.
func BenchmarkParseQuery(b *testing.B) {
	const raw = "select=id,title,body,created_at,author:users!posts_author_id_fkey(id,name,avatar_url)," +
		"comments!inner(id,body,created_at,commenter:users(name)),tags(name)" +
		"&published=is.true&title=ilike.*postgres*&created_at=gte.2024-01-01&comments.body=not.is.null" +
		"&or=(views.gt.100,and(featured.eq.true,score.gte.4.5))&status=in.(draft,%22in%20review%22,published)" +
		"&order=created_at.desc.nullslast,id.asc&comments.order=created_at.desc&limit=20&offset=40&comments.limit=5"
	if _, err := ParseQuery(raw, QueryOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseQuery(raw, QueryOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSelect(b *testing.B) {
	const sel = "id,title,author:users!posts_author_id_fkey(id,name),comments!inner(id,body,commenter:users(name)),data->>meta::int"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSelect(sel); err != nil {
			b.Fatal(err)
		}
	}
}
