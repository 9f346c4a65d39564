package pg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeBinDir makes a directory holding a postgres that reports version and
// an initdb that does nothing.
func fakeBinDir(t *testing.T, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), version, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"postgres": "#!/bin/sh\necho 'postgres (PostgreSQL) " + version + "'\n",
		"initdb":   "#!/bin/sh\nexit 1\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPickBinaries(t *testing.T) {
	t.Parallel()
	v17, v15, v13 := fakeBinDir(t, "17.2"), fakeBinDir(t, "15.18"), fakeBinDir(t, "13.9")
	missing := filepath.Join(t.TempDir(), "missing")

	tests := []struct {
		name string
		dirs []string
		want int // the data directory's major version, 0 for none
		got  string
		err  any // a pointer to the error type expected
	}{
		{"no data directory: the first", []string{v17, v15}, 0, v17, nil},
		{"data directory of the newest", []string{v17, v15}, 17, v17, nil},
		{"data directory of an older version", []string{v17, v15}, 15, v15, nil},
		{"no installation of the data directory's version", []string{missing, v17, v15}, 16, v17, nil},
		{"data directory too old for mobo", []string{v13, v15}, 13, v15, nil},
		{"too old skipped", []string{v13, v15}, 0, v15, nil},
		{"only too old", []string{v13}, 0, "", new(*UnsupportedVersionError)},
		{"none", []string{missing}, 15, "", new(*BinariesNotFoundError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := pickBinaries(context.Background(), tt.dirs, tt.want, nil)
			if tt.err != nil {
				if !errors.As(err, tt.err) {
					t.Fatalf("pickBinaries = %v, want %T", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.dir != tt.got {
				t.Errorf("picked %s (PostgreSQL %d), want %s", b.dir, b.major, tt.got)
			}
		})
	}
}
