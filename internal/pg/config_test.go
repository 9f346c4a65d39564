package pg

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means valid
	}{
		{"zero value", Config{}, ""},
		{"full", Config{DataDir: "/var/lib/mobo/pg", Port: 5433, MaxConnections: 50, SharedBuffers: "1GB", Settings: map[string]string{"work_mem": "64MB", "auto_explain.log_min_duration": "1s"}}, ""},
		{"root data dir", Config{DataDir: "/"}, "data_dir"},
		{"port too big", Config{Port: 70000}, "port 70000"},
		{"negative port", Config{Port: -1}, "port -1"},
		{"negative connections", Config{MaxConnections: -5}, "max_connections"},
		{"newline in shared_buffers", Config{SharedBuffers: "1GB\nfsync = off"}, "shared_buffers"},
		{"bad setting name", Config{Settings: map[string]string{"Work Mem": "1"}}, `invalid setting name "Work Mem"`},
		{"reserved setting", Config{Settings: map[string]string{"port": "5432"}}, `"port" is managed by mobo`},
		{"newline in setting", Config{Settings: map[string]string{"work_mem": "1\nfsync=off"}}, "work_mem: value contains a newline"},
		{"bad os user", Config{OSUser: "a:b"}, "os_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got := Config{}.withDefaults()
	want := Config{DataDir: "mobo_data/pg", OSUser: "postgres", MaxConnections: DefaultMaxConnections, SharedBuffers: "128MB"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out     string
		major   int
		version string
	}{
		{"postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg120+1)\n", 15, "15.14"},
		{"postgres (PostgreSQL) 17.2\n", 17, "17.2"},
		{"postgres (PostgreSQL) 18beta1\n", 18, "18"},
		{"postgres (PostgreSQL) 9.6.24\n", 9, "9.6"},
	}
	for _, tt := range tests {
		major, version, err := parseVersion(tt.out)
		if err != nil || major != tt.major || version != tt.version {
			t.Errorf("parseVersion(%q) = %d, %q, %v; want %d, %q", tt.out, major, version, err, tt.major, tt.version)
		}
	}
	if _, _, err := parseVersion("bash: postgres: command not found"); err == nil {
		t.Error("parseVersion accepted garbage")
	}
}

func TestNewestFirst(t *testing.T) {
	t.Parallel()
	got := newestFirst([]string{
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/14/bin",
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/15/bin",
	})
	want := []string{
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/14/bin",
		"/usr/lib/postgresql/9.6/bin",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("newestFirst (-want +got):\n%s", diff)
	}
}

func TestQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct{ fn, in, got, want string }{
		{"confQuote", `it's a \ path`, confQuote(`it's a \ path`), `'it''s a \\ path'`},
		{"listQuote", `/plain/dir`, listQuote(`/plain/dir`), `/plain/dir`},
		{"listQuote", `/with space,comma`, listQuote(`/with space,comma`), `"/with space,comma"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s(%q) = %s, want %s", tt.fn, tt.in, tt.got, tt.want)
		}
	}
}

func TestSocketConnString(t *testing.T) {
	t.Parallel()
	got := socketConnString("/tmp/a b/run", 5433, "pw", "my db")
	want := "postgres://postgres:pw@/my%20db?host=%2Ftmp%2Fa+b%2Frun&port=5433&sslmode=disable"
	if got != want {
		t.Errorf("socketConnString = %s, want %s", got, want)
	}
}

// recordHandler keeps the records it handles.
type recordHandler struct {
	mu      sync.Mutex
	records []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		s += " " + a.String()
		return true
	})
	h.records = append(h.records, s)
	return nil
}

func TestServerOutput(t *testing.T) {
	t.Parallel()
	h := &recordHandler{}
	o := newServerOutput(slog.New(h), nil)
	input := strings.Join([]string{
		"[42] LOG:  database system is ready to accept connections",
		"[43] ERROR:  relation \"nope\" does not exist at character 15",
		"[43] STATEMENT:  SELECT * FROM nope",
		"2025-01-01 00:00:00.000 UTC [44] FATAL:  could not bind IPv4 address \"127.0.0.1\": Address already in use",
		"[45] FATAL:  terminating connection due to administrator command",
		"[46] PANIC:  could not write to file",
		"a line of its own",
		strings.Repeat("x", maxLineLen+100),
	}, "\n")
	o.consume(strings.NewReader(input))

	want := []string{
		"INFO database system is ready to accept connections pg_level=LOG pid=42",
		`WARN relation "nope" does not exist at character 15 pg_level=ERROR pid=43`,
		"WARN SELECT * FROM nope pg_level=STATEMENT pid=43",
		`WARN could not bind IPv4 address "127.0.0.1": Address already in use pg_level=FATAL pid=44`,
		"INFO terminating connection due to administrator command pg_level=FATAL pid=45",
		"ERROR could not write to file pg_level=PANIC pid=46",
		"ERROR a line of its own",
		"ERROR " + strings.Repeat("x", maxLineLen),
	}
	if diff := cmp.Diff(want, h.records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got := o.lines(); len(got) != 8 || !bindFailed(got) {
		t.Errorf("lines() = %d lines, bindFailed %v", len(got), bindFailed(got))
	}

	for i := range outputTail + 5 {
		o.line(strings.Repeat("y", i))
	}
	lines := o.lines()
	if len(lines) != outputTail || lines[0] != strings.Repeat("y", 5) || lines[outputTail-1] != strings.Repeat("y", outputTail+4) {
		t.Errorf("tail after overflow: %d lines, first %q", len(lines), lines[0])
	}
}

// TestServerOutputReportsReinit: the postmaster's line after it ended every
// session to recover from a crash calls reinit, once per line; nothing else does.
func TestServerOutputReportsReinit(t *testing.T) {
	t.Parallel()
	n := 0
	o := newServerOutput(slog.New(slog.DiscardHandler), func() { n++ })
	o.consume(strings.NewReader(strings.Join([]string{
		"[42] LOG:  server process (PID 77) was terminated by signal 9: Killed",
		"[42] LOG:  terminating any other active server processes",
		"[42] LOG:  all server processes terminated; reinitializing",
		"[43] ERROR:  all server processes terminated; reinitializing or not",
	}, "\n")))
	if n != 1 {
		t.Errorf("reinit called %d times, want 1", n)
	}
}
