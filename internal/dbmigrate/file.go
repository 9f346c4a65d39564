package dbmigrate

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Marker lines of a migration file.
const (
	MarkerUp   = "-- +migrate Up"
	MarkerDown = "-- +migrate Down"
)

// File is a migration file as found in a directory or sent to the server.
type File struct {
	Name    string // base name, VERSION_NAME.sql
	Content string
}

// Migration is a parsed migration file.
type Migration struct {
	Version  string // digits, as in the file name
	Name     string // after the first underscore, without .sql
	File     string // the file's base name
	Up       string // the up part (the whole file when it has no markers)
	Down     string // the down part, when HasDown
	HasDown  bool
	Checksum string // hex SHA-256 of the whole file
}

// Parts are the up and down parts of a migration file.
type Parts struct {
	Up, Down string
	// HasDown is false when there is no down marker or the down part holds
	// only blank lines and -- comments.
	HasDown bool
}

// Split separates a migration file's up and down parts. Rules:
//
//   - A marker is a line holding only "-- +migrate Up" or "-- +migrate Down"
//     (surrounding spaces allowed, the word Up or Down in any case).
//   - Without markers the whole text is the up part.
//   - With markers, the Up marker comes first, once; before it only blank
//     lines and -- comments may stand. The Down marker is optional, once,
//     after the Up marker.
//   - Any other "-- +migrate" or "-- +goose" annotation is an error, so that
//     a file written for another tool is not misread as up-only.
//
// The parts are the exact bytes between the markers.
func Split(text string) (Parts, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	const (
		before = iota
		inUp
		inDown
	)
	state := before
	contentLine := 0 // first line with SQL before any marker
	upStart, upEnd, downStart := -1, -1, -1
	line := 0
	for off := 0; off < len(text); {
		line++
		end := strings.IndexByte(text[off:], '\n')
		next := len(text)
		if end >= 0 {
			next = off + end + 1
		}
		l := text[off:next]
		kind, err := marker(l)
		if err != nil {
			return Parts{}, &FileError{Line: line, Msg: err.Error()}
		}
		switch kind {
		case "up":
			switch {
			case state != before:
				return Parts{}, &FileError{Line: line, Msg: "a second " + MarkerUp + " or one after " + MarkerDown}
			case contentLine > 0:
				return Parts{}, &FileError{Line: contentLine, Msg: "SQL before " + MarkerUp}
			}
			state, upStart = inUp, next
		case "down":
			switch state {
			case before:
				return Parts{}, &FileError{Line: line, Msg: MarkerDown + " without " + MarkerUp + " before it"}
			case inDown:
				return Parts{}, &FileError{Line: line, Msg: "a second " + MarkerDown}
			}
			state, upEnd, downStart = inDown, off, next
		default:
			if state == before && contentLine == 0 && !blankLine(l) {
				contentLine = line
			}
		}
		off = next
	}
	switch state {
	case before:
		return Parts{Up: text}, nil
	case inUp:
		return Parts{Up: text[upStart:]}, nil
	}
	p := Parts{Up: text[upStart:upEnd], Down: text[downStart:]}
	p.HasDown = !Blank(p.Down)
	return p, nil
}

// marker classifies a line: "up", "down", or "" for an ordinary line.
func marker(l string) (string, error) {
	t := strings.TrimSpace(l)
	c, ok := strings.CutPrefix(t, "--")
	if !ok {
		return "", nil
	}
	f := strings.Fields(c)
	if len(f) == 0 {
		return "", nil
	}
	switch strings.ToLower(f[0]) {
	case "+migrate":
	case "+goose":
		return "", errors.New("goose annotations are not supported: use " + MarkerUp + " and " + MarkerDown)
	default:
		return "", nil
	}
	if len(f) == 2 {
		switch strings.ToLower(f[1]) {
		case "up":
			return "up", nil
		case "down":
			return "down", nil
		}
	}
	return "", fmt.Errorf("unsupported annotation %q: only %s and %s are known", t, MarkerUp, MarkerDown)
}

// Blank reports whether sql holds only whitespace and -- comment lines.
func Blank(sql string) bool {
	for l := range strings.Lines(sql) {
		if !blankLine(l) {
			return false
		}
	}
	return true
}

func blankLine(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "--")
}

// ParseFile parses one migration file named VERSION_NAME.sql.
func ParseFile(f File) (Migration, error) {
	base, ok := strings.CutSuffix(f.Name, ".sql")
	version, name, us := strings.Cut(base, "_")
	if !ok || !us || strings.ContainsAny(f.Name, `/\`) || !digits(version) {
		return Migration{}, &FileError{File: f.Name, Msg: "want a name VERSION_NAME.sql, VERSION being digits"}
	}
	p, err := Split(f.Content)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.File = f.Name
		}
		return Migration{}, err
	}
	sum := sha256.Sum256([]byte(f.Content))
	return Migration{
		Version: version, Name: name, File: f.Name,
		Up: p.Up, Down: p.Down, HasDown: p.HasDown,
		Checksum: hex.EncodeToString(sum[:]),
	}, nil
}

// Parse parses files and returns them in version order. A version used by
// two files is an error.
func Parse(files []File) ([]Migration, error) {
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m, err := ParseFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return CompareVersions(a.Version, b.Version) })
	for i := 1; i < len(out); i++ {
		if CompareVersions(out[i-1].Version, out[i].Version) == 0 {
			return nil, &FileError{File: out[i].File, Msg: fmt.Sprintf("version %s is also used by %s", out[i].Version, out[i-1].File)}
		}
	}
	return out, nil
}

// ReadDir reads the *.sql files of dir, without parsing them.
func ReadDir(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var files []File
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(os.DirFS(dir), e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", filepath.Join(dir, e.Name()), err)
		}
		files = append(files, File{Name: e.Name(), Content: string(b)})
	}
	return files, nil
}

// CompareVersions orders versions numerically (they are digit strings of
// any length).
func CompareVersions(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
