package graphql

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDirective(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		comment, name, desc string
		total               bool
		maxRows             int
	}{
		{comment: "People", desc: "People"},
		{comment: `@graphql({"name": "Person", "totalCount": {"enabled": true}})`, name: "Person", total: true},
		{comment: `People @graphql({"max_rows": 5}) here`, desc: "People here", maxRows: 5},
		{comment: `@graphql({"description": "A user"})`, desc: "A user"},
		{comment: `@graphql({broken`, desc: `@graphql({broken`},
		{comment: `@graphql({"max_rows": -3})`},
	} {
		d, desc := directive(tc.comment)
		got := []any{d.Name, desc, d.TotalCount.Enabled, d.MaxRows}
		want := []any{tc.name, tc.desc, tc.total, tc.maxRows}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.comment, diff)
		}
	}
}

func TestFuzzModelSchema(t *testing.T) {
	t.Parallel()
	m := fuzzModel(t)
	for _, name := range []string{"accountCollection", "postCollection", "insertIntoaccountCollection", "updatepostCollection", "deleteFrompostCollection", "search", "bump"} {
		if _, ok := m.roots[name]; !ok {
			t.Errorf("no root field %s", name)
		}
	}
	if m.tables["post"].rels["author"] == nil || m.tables["account"].rels["postCollection"] == nil {
		t.Error("relationship fields missing")
	}
}
