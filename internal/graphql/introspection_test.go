package graphql

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func goldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// introspectionQuery reads graphql-js 16's getIntrospectionQuery() with
// every option on (descriptions, specifiedByURL, isRepeatable, schema
// description, input value deprecation, isOneOf).
func introspectionQuery(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "introspection_query.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
