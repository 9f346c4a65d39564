package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MinVersion is the oldest PostgreSQL major version a managed cluster runs.
const MinVersion = 14

// binaries are the server programs of one PostgreSQL installation.
type binaries struct {
	dir      string // directory of postgres
	postgres string
	initdb   string
	major    int    // e.g. 15
	version  string // e.g. "15.14"
}

// binDirGlobs are the usual install locations, searched after PATH and
// pg_config. Versioned directories are sorted newest first.
var binDirGlobs = []string{
	"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                                   // RHEL, Fedora (PGDG)
	"/usr/local/pgsql/bin",                               // built from source
	"/opt/homebrew/opt/postgresql@*/bin",                 // Homebrew, Apple silicon
	"/usr/local/opt/postgresql@*/bin",                    // Homebrew, Intel
	"/opt/homebrew/opt/postgresql/bin",                   // Homebrew, unversioned
	"/usr/local/opt/postgresql/bin",                      // Homebrew, unversioned
	"/Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
	"/opt/local/lib/postgresql*/bin",                     // MacPorts
}

// findBinaries locates the postgres and initdb programs: in binDir if it is
// set, else on PATH, else in pg_config --bindir, else in the usual install
// locations, newest major version first.
//
// want is the major version of an existing data directory, or 0. An
// installation of that version is preferred to the search order, so that
// installing a newer PostgreSQL next to the old one does not make the
// existing cluster unstartable. When there is none, the first usable
// installation is returned and the caller reports the mismatch.
func findBinaries(ctx context.Context, binDir string, want int) (*binaries, error) {
	if binDir != "" {
		return pickBinaries(ctx, []string{binDir}, want, nil)
	}
	var dirs, notes []string
	// PATH: the directory of postgres, with symlinks resolved so that
	// /usr/local/bin/postgres -> /usr/lib/postgresql/15/bin/postgres finds
	// initdb next to the real binary.
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	} else {
		notes = append(notes, "PATH")
	}
	if p, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := exec.CommandContext(ctx, p, "--bindir").Output()
		cancel()
		if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
			dirs = append(dirs, dir)
		}
	}
	return pickBinaries(ctx, append(dirs, candidateDirs()...), want, notes)
}

// pickBinaries returns the binaries of the first directory in dirs whose
// major version is want, or, when want is 0 or no directory has it, of the
// first directory with a supported version. searched lists places looked at
// before dirs, for the error.
func pickBinaries(ctx context.Context, dirs []string, want int, searched []string) (*binaries, error) {
	nf := &BinariesNotFoundError{Searched: searched}
	var first *binaries
	var tooOld error
	seen := map[string]bool{}
	for _, dir := range dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		nf.Searched = append(nf.Searched, dir)
		b, err := binariesIn(ctx, dir)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				nf.Err = err
			}
			continue
		}
		if err := checkMinVersion(b); err != nil {
			if tooOld == nil {
				tooOld = err
			}
			continue
		}
		if want == 0 || b.major == want {
			return b, nil
		}
		if first == nil {
			first = b
		}
	}
	switch {
	case first != nil:
		return first, nil
	case tooOld != nil:
		return nil, tooOld
	default:
		return nil, nf
	}
}

// candidateDirs expands binDirGlobs to existing directories, those with a
// higher version number in their path first.
func candidateDirs() []string {
	var dirs []string
	for _, g := range binDirGlobs {
		matches, _ := filepath.Glob(g) // the patterns are valid
		dirs = append(dirs, newestFirst(matches)...)
	}
	return dirs
}

// newestFirst sorts paths by the version number in them, highest first.
func newestFirst(paths []string) []string {
	slices.SortStableFunc(paths, func(a, b string) int { return slices.Compare(pathVersion(b), pathVersion(a)) })
	return paths
}

var pathVersionRe = regexp.MustCompile(`\d+(?:\.\d+)?`)

// pathVersion extracts the last version-like number of a path, such as
// [15] from /usr/lib/postgresql/15/bin or [9 6] from /usr/pgsql-9.6/bin.
func pathVersion(p string) []int {
	m := pathVersionRe.FindAllString(p, -1)
	if len(m) == 0 {
		return nil
	}
	var v []int
	for f := range strings.SplitSeq(m[len(m)-1], ".") {
		n, _ := strconv.Atoi(f)
		v = append(v, n)
	}
	return v
}

// binariesIn checks dir for postgres and initdb and asks postgres its version.
func binariesIn(ctx context.Context, dir string) (*binaries, error) {
	b := &binaries{
		dir:      dir,
		postgres: filepath.Join(dir, "postgres"),
		initdb:   filepath.Join(dir, "initdb"),
	}
	for _, p := range []string{b.postgres, b.initdb} {
		if err := checkExecutable(p); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// postgres refuses to run as root, but answers --version first.
	out, err := exec.CommandContext(ctx, b.postgres, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", b.postgres, err)
	}
	b.major, b.version, err = parseVersion(string(out))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.postgres, err)
	}
	return b, nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

var versionRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// parseVersion reads the output of postgres --version, such as
// "postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg120+1)", and returns the
// major version (15) and the version string (15.14). Before PostgreSQL 10 the
// major version had two parts; those are reported by their first (9).
func parseVersion(out string) (major int, version string, err error) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("unrecognised version output %q", strings.TrimSpace(out))
	}
	major, err = strconv.Atoi(m[1])
	if err != nil {
		return 0, "", fmt.Errorf("unrecognised version output %q: %w", strings.TrimSpace(out), err)
	}
	version = m[1]
	if m[2] != "" {
		version += "." + m[2]
	}
	return major, version, nil
}

func checkMinVersion(b *binaries) error {
	if b.major < MinVersion {
		return &UnsupportedVersionError{Binary: b.postgres, Version: b.major, Minimum: MinVersion}
	}
	return nil
}
