package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type testHTTP struct {
	Listen  string        `toml:"listen"`
	Timeout time.Duration `toml:"timeout"`
}

func (h testHTTP) Validate() error {
	if !strings.Contains(h.Listen, ":") {
		return errors.New("http.listen must be host:port")
	}
	return nil
}

type testRoute struct {
	Pattern string            `toml:"pattern"`
	Limits  map[string]string `toml:"limits"`
}

type testConfig struct {
	Routes    []testRoute       `toml:"routes"`
	DataDir   string            `toml:"data_dir"`
	JWTSecret string            `toml:"jwt_secret" secret:"true" env:"MOBO_JWT_SECRET_ALIAS"`
	Workers   int               `toml:"workers"`
	Debug     bool              `toml:"debug"`
	Schemas   []string          `toml:"schemas"`
	Settings  map[string]string `toml:"settings"`
	HTTP      testHTTP          `toml:"http"`
}

func defaults() testConfig {
	return testConfig{DataDir: "./mobo_data", Workers: 4, HTTP: testHTTP{Listen: "127.0.0.1:8000", Timeout: 5 * time.Second}}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "mobo.toml", `
data_dir = "/from/file"
workers = 8
schemas = ["public", "api"]
[http]
listen = "0.0.0.0:9000"
timeout = "10s"
`)
	tests := []struct {
		name  string
		opts  LoadOptions
		want  func(c *testConfig)
		warns int
	}{
		{name: "defaults", opts: LoadOptions{}, want: func(*testConfig) {}},
		{
			name: "file over defaults",
			opts: LoadOptions{File: file},
			want: func(c *testConfig) {
				c.DataDir, c.Workers, c.Schemas = "/from/file", 8, []string{"public", "api"}
				c.HTTP = testHTTP{Listen: "0.0.0.0:9000", Timeout: 10 * time.Second}
			},
		},
		{
			name: "env over file",
			opts: LoadOptions{File: file, Environ: []string{"MOBO_WORKERS=16", "MOBO_HTTP_LISTEN=127.0.0.1:7000", "MOBO_DEBUG=true", "MOBO_SCHEMAS=a, b", "PATH=/bin"}},
			want: func(c *testConfig) {
				c.DataDir, c.Workers, c.Debug, c.Schemas = "/from/file", 16, true, []string{"a", "b"}
				c.HTTP = testHTTP{Listen: "127.0.0.1:7000", Timeout: 10 * time.Second}
			},
		},
		{
			name: "flags over env",
			opts: LoadOptions{
				File:    file,
				Environ: []string{"MOBO_HTTP_LISTEN=127.0.0.1:7000"},
				Flags:   []Flag{{Name: "http", Key: "http.listen", Value: "127.0.0.1:6000"}},
			},
			want: func(c *testConfig) {
				c.DataDir, c.Workers, c.Schemas = "/from/file", 8, []string{"public", "api"}
				c.HTTP = testHTTP{Listen: "127.0.0.1:6000", Timeout: 10 * time.Second}
			},
		},
		{
			name: "alias wins over derived name",
			opts: LoadOptions{Environ: []string{"MOBO_JWT_SECRET_ALIAS=alias", "MOBO_JWT_SECRET=derived"}},
			want: func(c *testConfig) { c.JWTSecret = "alias" },
		},
		{
			name:  "unknown env is a warning",
			opts:  LoadOptions{Environ: []string{"MOBO_NOPE=1", "MOBO_URL=x"}, IgnoreEnv: []string{"MOBO_URL"}},
			want:  func(*testConfig) {},
			warns: 1,
		},
		{
			name: "default file found",
			opts: LoadOptions{DefaultFiles: []string{filepath.Join(t.TempDir(), "missing.toml"), file}},
			want: func(c *testConfig) {
				c.DataDir, c.Workers, c.Schemas = "/from/file", 8, []string{"public", "api"}
				c.HTTP = testHTTP{Listen: "0.0.0.0:9000", Timeout: 10 * time.Second}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := defaults()
			res, err := Load(&got, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults()
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if len(res.Warnings) != tt.warns {
				t.Errorf("warnings = %q, want %d", res.Warnings, tt.warns)
			}
		})
	}
}

func TestLoadMap(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "mobo.toml", "[settings]\nwork_mem = \"8MB\"\nmax_wal_senders = 5\n")
	got := defaults()
	if _, err := Load(&got, LoadOptions{File: file}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"work_mem": "8MB", "max_wal_senders": "5"}, got.Settings); diff != "" {
		t.Errorf("settings from file (-want +got):\n%s", diff)
	}
	got = defaults()
	if _, err := Load(&got, LoadOptions{Environ: []string{"MOBO_SETTINGS=a=1, b=2"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "1", "b": "2"}, got.Settings); diff != "" {
		t.Errorf("settings from env (-want +got):\n%s", diff)
	}
	if _, err := Load(&got, LoadOptions{Environ: []string{"MOBO_SETTINGS=novalue"}}); err == nil {
		t.Error("a pair without = was accepted")
	}
}

func TestLoadArrayOfTables(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "mobo.toml", `
[[routes]]
pattern = "POST /auth/v1/token"
limits = { ip = "30/5m" }

[[routes]]
pattern = "/rest/v1/*"
`)
	got := defaults()
	if _, err := Load(&got, LoadOptions{File: file}); err != nil {
		t.Fatal(err)
	}
	want := []testRoute{{Pattern: "POST /auth/v1/token", Limits: map[string]string{"ip": "30/5m"}}, {Pattern: "/rest/v1/*"}}
	if diff := cmp.Diff(want, got.Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	bad := writeFile(t, "mobo.toml", "[[routes]]\npatern = \"x\"\n")
	if _, err := Load(&got, LoadOptions{File: bad}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key in an array of tables: %v", err)
	}
}

func TestLoadYAML(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "mobo.yaml", "workers: 3\nhttp:\n  listen: \"127.0.0.1:1\"\n")
	got := defaults()
	if _, err := Load(&got, LoadOptions{File: file}); err != nil {
		t.Fatal(err)
	}
	if got.Workers != 3 || got.HTTP.Listen != "127.0.0.1:1" {
		t.Errorf("got %+v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    func(t *testing.T) LoadOptions
		source  string
		key     string
		wantMsg string
	}{
		{
			name: "unknown key with suggestion",
			opts: func(t *testing.T) LoadOptions {
				return LoadOptions{File: writeFile(t, "mobo.toml", "[http]\nlsten = \"x:1\"\n")}
			},
			key:     "http.lsten",
			wantMsg: `did you mean "http.listen"`,
		},
		{
			name:    "unknown table",
			opts:    func(t *testing.T) LoadOptions { return LoadOptions{File: writeFile(t, "mobo.toml", "[nope]\nx = 1\n")} },
			key:     "nope",
			wantMsg: "unknown key",
		},
		{
			name: "bad type in file",
			opts: func(t *testing.T) LoadOptions {
				return LoadOptions{File: writeFile(t, "mobo.toml", "workers = \"many\"\n")}
			},
			key:     "workers",
			wantMsg: `"many" is not an integer`,
		},
		{
			name: "duration without unit",
			opts: func(t *testing.T) LoadOptions {
				return LoadOptions{File: writeFile(t, "mobo.toml", "[http]\ntimeout = 5\n")}
			},
			key:     "http.timeout",
			wantMsg: "duration",
		},
		{
			name:    "bad env value",
			opts:    func(*testing.T) LoadOptions { return LoadOptions{Environ: []string{"MOBO_DEBUG=maybe"}} },
			source:  "environment MOBO_DEBUG",
			key:     "debug",
			wantMsg: "not a boolean",
		},
		{
			name: "bad flag value",
			opts: func(*testing.T) LoadOptions {
				return LoadOptions{Flags: []Flag{{Name: "workers", Key: "workers", Value: "-x"}}}
			},
			source:  "flag --workers",
			key:     "workers",
			wantMsg: "not an integer",
		},
		{
			name:    "validation",
			opts:    func(*testing.T) LoadOptions { return LoadOptions{Environ: []string{"MOBO_HTTP_LISTEN=nocolon"}} },
			source:  "validation",
			wantMsg: "http.listen must be host:port",
		},
		{
			name:    "missing explicit file",
			opts:    func(t *testing.T) LoadOptions { return LoadOptions{File: filepath.Join(t.TempDir(), "none.toml")} },
			wantMsg: "no such file",
		},
		{
			name:    "syntax error",
			opts:    func(t *testing.T) LoadOptions { return LoadOptions{File: writeFile(t, "mobo.toml", "workers = = 1\n")} },
			wantMsg: "parsing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := defaults()
			_, err := Load(&c, tt.opts(t))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if tt.key != "" && ce.Key != tt.key {
				t.Errorf("key = %q, want %q", ce.Key, tt.key)
			}
			if tt.source != "" && ce.Source != tt.source {
				t.Errorf("source = %q, want %q", ce.Source, tt.source)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	c := defaults()
	c.JWTSecret = "super-secret"
	m := Redact(&c)
	if m["jwt_secret"] != "<redacted>" {
		t.Errorf("jwt_secret = %v, want redacted", m["jwt_secret"])
	}
	http, ok := m["http"].(map[string]any)
	if !ok || http["listen"] != "127.0.0.1:8000" || http["timeout"] != "5s" {
		t.Errorf("http = %v", m["http"])
	}
	c.JWTSecret = ""
	if Redact(&c)["jwt_secret"] != "" {
		t.Error("an empty secret should show as empty, so users see it is unset")
	}
}
