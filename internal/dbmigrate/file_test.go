package dbmigrate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Parts
		errLine int // 0: no error
	}{
		{name: "plain file is up only", in: "create table a (id int);\n", want: Parts{Up: "create table a (id int);\n"}},
		{name: "empty", in: "", want: Parts{}},
		{name: "up only", in: "-- +migrate Up\ncreate table a ();\n", want: Parts{Up: "create table a ();\n"}},
		{
			name: "up and down",
			in:   "-- a comment\n\n-- +migrate Up\ncreate table a ();\n-- +migrate Down\ndrop table a;\n",
			want: Parts{Up: "create table a ();\n", Down: "drop table a;\n", HasDown: true},
		},
		{
			name: "spaces, case and CRLF",
			in:   "  --   +MIGRATE   up  \r\nselect 1;\r\n\t-- +migrate DOWN\r\nselect 2;",
			want: Parts{Up: "select 1;\r\n", Down: "select 2;", HasDown: true},
		},
		{
			name: "comment-only down part is no down part",
			in:   "-- +migrate Up\nselect 1;\n-- +migrate Down\n-- irreversible\n\n",
			want: Parts{Up: "select 1;\n", Down: "-- irreversible\n\n"},
		},
		{name: "byte order mark", in: "\ufeff-- +migrate Up\nselect 1;\n", want: Parts{Up: "select 1;\n"}},
		{name: "marker without space", in: "--+migrate Up\nselect 1;\n", want: Parts{Up: "select 1;\n"}},
		{name: "marker words inside a line are SQL", in: "select '-- +migrate Down';\n", want: Parts{Up: "select '-- +migrate Down';\n"}},
		{name: "SQL before up", in: "select 0;\n-- +migrate Up\nselect 1;\n", errLine: 1},
		{name: "down without up", in: "select 1;\n-- +migrate Down\nselect 2;\n", errLine: 2},
		{name: "two ups", in: "-- +migrate Up\n-- +migrate Up\n", errLine: 2},
		{name: "up after down", in: "-- +migrate Up\n-- +migrate Down\n-- +migrate Up\n", errLine: 3},
		{name: "two downs", in: "-- +migrate Up\n-- +migrate Down\n-- +migrate Down\n", errLine: 3},
		{name: "goose annotations", in: "-- +goose Up\nselect 1;\n", errLine: 1},
		{name: "unknown annotation", in: "-- +migrate Up\n-- +migrate StatementBegin\n", errLine: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Split(tt.in)
			if tt.errLine > 0 {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Line != tt.errLine || !errors.Is(err, ErrBadFile) {
					t.Fatalf("Split error = %v, want a FileError at line %d", err, tt.errLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	migs, err := Parse([]File{
		{Name: "20240102000000_second.sql", Content: "-- +migrate Up\nselect 2;\n-- +migrate Down\nselect -2;\n"},
		{Name: "9_early_one.sql", Content: "select 1;"},
		{Name: "20240101000000_.sql", Content: ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range migs {
		got = append(got, m.Version+"|"+m.Name+"|"+m.File)
	}
	want := []string{"9|early_one|9_early_one.sql", "20240101000000||20240101000000_.sql", "20240102000000|second|20240102000000_second.sql"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if !migs[2].HasDown || migs[2].Down != "select -2;\n" || len(migs[2].Checksum) != 64 {
		t.Errorf("second = %+v", migs[2])
	}

	for _, bad := range [][]File{
		{{Name: "init.sql"}},
		{{Name: "12a_x.sql"}},
		{{Name: "12_x.txt"}},
		{{Name: "_x.sql"}},
		{{Name: "../1_x.sql"}},
		{{Name: "1_a.sql"}, {Name: "001_b.sql"}}, // the same version
		{{Name: "1_a.sql", Content: "-- +migrate Down\n"}},
	} {
		if _, err := Parse(bad); !errors.Is(err, ErrBadFile) {
			t.Errorf("Parse(%v) = %v, want ErrBadFile", bad, err)
		} else if !strings.Contains(err.Error(), "migration file ") {
			t.Errorf("error does not name the file: %v", err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"9", "10", -1}, {"010", "10", 0}, {"20240101000000", "20231231235959", 1}, {"2", "2", 0},
	} {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzSplit checks that Split never panics, that the parts it returns are
// the file's bytes between the markers, and that joining the parts with the
// markers splits back into the same parts.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"", "select 1;", "-- +migrate Up\nselect 1;\n-- +migrate Down\nselect 2;\n",
		"-- c\n-- +migrate Up\r\n-- +migrate Down\r\n", "\ufeff-- +migrate Up\n", "-- +goose Up\n",
		"--+migrate up\n--\n-- +migrate down", "select $$\n-- +migrate Down\n$$;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Split(in)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Line < 1 || fe.Line > strings.Count(in, "\n")+1 {
				t.Fatalf("Split(%q) error %v lacks a valid line", in, err)
			}
			return
		}
		if !strings.Contains(in, p.Up) || !strings.Contains(in, p.Down) {
			t.Fatalf("Split(%q) = %+v: parts not from the input", in, p)
		}
		if p.HasDown == Blank(p.Down) {
			t.Fatalf("Split(%q): HasDown %v for down %q", in, p.HasDown, p.Down)
		}
		for _, part := range []string{p.Up, p.Down} {
			for l := range strings.Lines(part) {
				if k, err := marker(l); k != "" || err != nil {
					t.Fatalf("Split(%q): marker line %q left in a part", in, l)
				}
			}
		}
		// Parts that end in a newline can be joined back with markers.
		if (p.Up == "" || strings.HasSuffix(p.Up, "\n")) && !strings.HasPrefix(in, "\ufeff") {
			joined := MarkerUp + "\n" + p.Up + MarkerDown + "\n" + p.Down
			q, err := Split(joined)
			if err != nil {
				t.Fatalf("Split(%q) of joined parts: %v", joined, err)
			}
			if q.Up != p.Up || q.Down != p.Down {
				t.Fatalf("round trip of %q: got %+v, want %+v", in, q, p)
			}
		}
	})
}
