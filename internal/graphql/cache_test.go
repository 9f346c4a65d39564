package graphql

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreparedReuse: a document sent again runs again with its new
// variables and the operation its name picks, not what the cache saw first.
func TestPreparedReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	const byID = `query P($id: Int!) { blog_postCollection(filter: {id: {eq: $id}}) { edges { node { title } } } }`
	for _, tc := range []struct {
		id   int
		want string
	}{{1, "Hello"}, {3, "Brian writes"}, {1, "Hello"}} {
		status, body := e.post(t, e.anon, byID, map[string]any{"id": tc.id})
		if status != http.StatusOK || !strings.Contains(string(body), `"title":"`+tc.want+`"`) {
			t.Errorf("id %d: %d %s", tc.id, status, body)
		}
	}
	const two = `query A { blog_postCollection(first: 1) { edges { node { id } } } } query B { accountCollection(first: 1) { edges { node { name } } } }`
	for range 2 {
		for op, want := range map[string]string{"A": `{"data":{"blog_postCollection":{"edges":[{"node":{"id":1}}]}}}`, "B": `{"data":{"accountCollection":{"edges":[{"node":{"name":"Ada"}}]}}}`} {
			b, _ := json.Marshal(map[string]any{"query": two, "operationName": op})
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url, bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+e.anon)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			_ = res.Body.Close()
			if buf.String() != want {
				t.Errorf("operation %s: got %s, want %s", op, buf.String(), want)
			}
		}
	}
	// A client mistake is not cached as a success, nor the reverse.
	for range 2 {
		if _, body := e.post(t, e.anon, `{ accountCollection(first: 1, last: 1) { totalCount } }`, nil); !strings.Contains(string(body), `"errors"`) {
			t.Errorf("no error: %s", body)
		}
	}
}

func TestAppendCompact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a" : 1, "b" : [1, 2, {"c" : null}]}`:  `{"a":1,"b":[1,2,{"c":null}]}`,
		`{"s p" : "x , y \" : z\\", "t" : "\\"}`: `{"s p":"x , y \" : z\\","t":"\\"}`,
		"[\n\t1,\r\n 2\n]":                       `[1,2]`,
		`"just a string "`:                       `"just a string "`,
	} {
		if got := string(appendCompact(nil, []byte(in))); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// FuzzAppendCompact: on valid json, appendCompact agrees with
// encoding/json's Compact. Seeds in testdata/fuzz/FuzzAppendCompact.
func FuzzAppendCompact(f *testing.F) {
	f.Add(`{"a" : "b\"c", "d" : [1, 2.5e3, true, null]}`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if got := appendCompact(nil, []byte(in)); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%q: got %s, want %s", in, got, want.Bytes())
		}
	})
}

// The fuzz seeds of this package live in testdata/fuzz; this keeps them
// from being lost to a rename of the target.
func TestFuzzSeedsExist(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"FuzzAppendCompact", "FuzzCompile"} {
		if entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", target)); err != nil || len(entries) == 0 {
			t.Errorf("no seeds for %s in testdata/fuzz (%v)", target, err)
		}
	}
}

// TestPreparedBounds: long documents are not kept, and the cache starts
// over when full.
func TestPreparedBounds(t *testing.T) {
	t.Parallel()
	var c preparedCache
	c.put(strings.Repeat("x", maxPreparedQuery+1), &prepared{})
	if len(c.m) != 0 {
		t.Errorf("kept a document of %d bytes", maxPreparedQuery+1)
	}
	for i := range maxPrepared {
		c.put(strings.Repeat("q", i+1), &prepared{})
	}
	if c.get("q") == nil || len(c.m) != maxPrepared {
		t.Fatalf("%d entries, want %d", len(c.m), maxPrepared)
	}
	c.put("one more", &prepared{})
	if len(c.m) != 1 || c.get("q") != nil || c.get("one more") == nil {
		t.Errorf("a full cache did not start over: %d entries", len(c.m))
	}
}
