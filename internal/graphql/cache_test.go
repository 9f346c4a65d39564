package graphql

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/magflock/mobo/internal/kernel"
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

// TestPreparedBounds: long documents are not kept; two models' operations
// with the same text are kept apart; the cache's entries cost at most
// preparedCost however many documents arrive.
func TestPreparedBounds(t *testing.T) {
	t.Parallel()
	c := kernel.NewCostCache(preparedCost, preparedSize)
	t.Cleanup(c.Close)
	m1, m2 := preparedCache{c: c, prefix: "1\x00"}, preparedCache{c: c, prefix: "2\x00"}
	m1.put(strings.Repeat("x", maxPreparedQuery+1), &prepared{})
	if m1.get(strings.Repeat("x", maxPreparedQuery+1)) != nil {
		t.Errorf("kept a document of %d bytes", maxPreparedQuery+1)
	}
	p := &prepared{}
	m1.put("{ a }", p)
	if m1.get("{ a }") != p || m2.get("{ a }") != nil {
		t.Error("a model sees another's operations, or not its own")
	}
	doc := strings.Repeat("q", maxPreparedQuery-8)
	for i := range 10_000 {
		m1.put(strconv.Itoa(i)+doc, &prepared{})
	}
	var n int
	for i := range 10_000 {
		if m1.get(strconv.Itoa(i)+doc) != nil {
			n++
		}
	}
	if n == 0 || uint64(n)*uint64(preparedSize("0"+doc, &prepared{})) > preparedCost {
		t.Errorf("%d documents of %d bytes kept, over %d bytes of cost", n, len(doc), preparedCost)
	}
}
