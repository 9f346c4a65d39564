package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/pg/pgtest"
)

// TestServeBadAuthSettings: a signing keys file that cannot work, or an
// auth setting out of bounds, stops `mobo serve` at boot with the reason,
// instead of a server that answers 500s.
func TestServeBadAuthSettings(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	keys := filepath.Join(t.TempDir(), "signing_keys.json")
	if err := os.WriteFile(keys, []byte(`[{"kty":"EC","crv":"P-256","d":"AAAA","key_ops":["sign"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"keys file", []string{"MOBO_AUTH_SIGNING_KEYS_PATH=" + keys}, []string{"auth.signing_keys_path", "no kid"}},
		{"setting", []string{"MOBO_AUTH_JWT_EXPIRY=-1h"}, []string{"auth.jwt_expiry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, moboBin, "serve", "--data-dir", dataDir(t), "--database-url", db.ConnString, "--http", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("serve did not stop at boot: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "goroutine ") {
				t.Errorf("stack trace in output:\n%s", out)
			}
		})
	}
}
