package pgwire

import "testing"

func TestScanSQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sql             string
		listen, session bool
	}{
		{"select 1", false, false},
		{"LISTEN chan", true, false},
		{"  -- comment\n listen chan", true, false},
		{"select 1; /* ; listen x */ listen \"x\"", true, false},
		{"select 'listen x'", false, false},
		{"select $$; listen x$$", false, false},
		{"select $tag$ $$; listen x $tag$", false, false},
		{"select e'\\'; listen x'", false, false},
		{"select 'it''s'; listen x", true, false},
		{`select "a;b" from t; notify x`, false, false},
		{"unlisten *", false, false},
		{"select $1; listen x", true, false},
		{"set search_path = x", false, true},
		{"SET SESSION timezone = 'UTC'", false, true},
		{"set local search_path = x", false, false},
		{"set transaction isolation level serializable", false, false},
		{"set constraints all deferred", false, false},
		{"begin; set role anon; commit", false, true},
		{"reset role", false, true},
		{"prepare p as select 1", false, true},
		{"declare c cursor with hold for select 1", false, true},
		{"create temp table x (a int)", false, true},
		{"create global temporary table x (a int)", false, true},
		{"create table temp (a int)", false, true}, // coarse: a needless reset is harmless
		{"create table x (a int)", false, false},
		{"select pg_advisory_lock(1)", false, true},
		{"select pg_advisory_xact_lock(1)", false, false},
		{"select set_config('a.b', 'c', false)", false, true},
		{"/* unterminated", false, false},
		{"select 'unterminated", false, false},
	}
	for _, tt := range tests {
		got := scanSQL(tt.sql)
		if got.listen != tt.listen || got.session != tt.session {
			t.Errorf("scanSQL(%q) = %+v, want listen=%v session=%v", tt.sql, got, tt.listen, tt.session)
		}
	}
}

func FuzzScanSQL(f *testing.F) {
	for _, s := range []string{"select 1; listen x", "$a$ $$ $a$", "e'\\'", "/* /* */", `"x""y"`, "set local x = 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_ = scanSQL(sql) // must not panic or loop
		// A statement hidden in a line comment is never seen.
		if scanSQL("-- " + stripNewlines(sql)).listen {
			t.Errorf("listen found in a comment: %q", sql)
		}
	})
}

func stripNewlines(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
