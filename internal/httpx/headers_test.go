package httpx

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHeadersJSON: request.headers has PostgREST's shape: lower-case
// names, repeated values joined by commas, JSON escaping where needed.
func TestHeadersJSON(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/rest/v1/todos", nil)
	r.Header = http.Header{
		"Apikey":          {"k"},
		"X-Many":          {"a", "b"},
		"X-Quote":         {`say "hi"\`},
		"X-Ünïcode-Name":  {"é"},
		"Accept-Encoding": {"gzip"},
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(HeadersJSON(r.Header)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"apikey": "k", "x-many": "a,b", "x-quote": `say "hi"\`, "x-ünïcode-name": "é", "accept-encoding": "gzip"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}
