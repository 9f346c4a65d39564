package graphql

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGraphiQLContentSecurityPolicy: each page's policy allows exactly its
// own inline scripts (by hash) and no other, no eval, no framing.
func TestGraphiQLContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/graphql/v1", "/graphql/v1?plain"} {
		rec := httptest.NewRecorder()
		serveGraphiQL(rec, httptest.NewRequest(http.MethodGet, path, nil))
		csp, page := rec.Header().Get("Content-Security-Policy"), rec.Body.String()
		var scriptSrc string
		for d := range strings.SplitSeq(csp, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(d), "script-src "); ok {
				scriptSrc = v
			}
		}
		inline := inlineRe.FindAllStringSubmatch(page, -1)
		scripts := 0
		for _, m := range inline {
			if m[1] != "script" {
				continue
			}
			scripts++
			sum := sha256.Sum256([]byte(m[2]))
			if !strings.Contains(scriptSrc, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
				t.Errorf("%s: an inline script is not allowed by %q", path, scriptSrc)
			}
		}
		if scripts == 0 || strings.Count(scriptSrc, "'sha256-") != scripts {
			t.Errorf("%s: %d inline scripts, policy %q", path, scripts, scriptSrc)
		}
		for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'"} {
			if strings.Contains(scriptSrc, bad) {
				t.Errorf("%s: script-src allows %s", path, bad)
			}
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") || rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: policy %q", path, csp)
		}
	}
}
