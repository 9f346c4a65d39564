package realtime

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSelect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    []string // nil: every column
		wantErr error
	}{
		{``, nil, nil},
		{`null`, nil, nil},
		{`[]`, []string{}, nil},
		{`["title","id","title"]`, []string{"id", "title"}, nil},
		{`["a,b"]`, []string{"a,b"}, nil},
		{`"title"`, nil, errSelectNotList},
		{`"title,id"`, nil, errSelectNotList},
		{`{"title":true}`, nil, errSelectNotList},
		{`[1]`, nil, errSelectNotList},
		{`["a",null]`, nil, errSelectNotList},
		{`[["a"]]`, nil, errSelectNotList},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := parseSelect(json.RawMessage(tc.in))
			if err != tc.wantErr { //nolint:errorlint // parseSelect returns the constants themselves
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.want == nil {
				if sel != nil {
					t.Fatalf("selection %v, want every column", sel.list)
				}
				return
			}
			if diff := cmp.Diff(tc.want, append([]string{}, sel.list...)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSelectColumns checks Supabase Realtime's select: the payload carries
// the selected columns and the primary key, in columns, record and
// old_record; bindings of one channel with different selects get a message
// each; an empty select is the primary key alone.
func TestSelectColumns(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL + `alter table todos replica identity full;`)
	c := e.dial(e.token("service_role", ""), "2.0.0")
	_, resp := c.join("realtime:sel", map[string]any{
		"postgres_changes": []map[string]any{
			{"event": "*", "schema": "public", "table": "todos", "select": []string{"title"}},
			{"event": "INSERT", "schema": "public", "table": "todos"},
			{"event": "INSERT", "schema": "public", "table": "todos", "select": []string{}},
			{"event": "INSERT", "schema": "public", "table": "todos", "filter": "done=eq.false", "select": []string{"title"}},
		},
	}, "")
	var r struct {
		PG []struct {
			ID     uint32   `json:"id"`
			Select []string `json:"select"`
		} `json:"postgres_changes"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || len(r.PG) != 4 {
		t.Fatalf("join response %s", resp)
	}
	if !slices.Equal(r.PG[0].Select, []string{"title"}) || r.PG[1].Select != nil {
		t.Errorf("join response echoes select %s", resp)
	}
	ids := map[uint32]int{}
	for i, b := range r.PG {
		ids[b.ID] = i
	}
	if len(ids) != 4 {
		t.Fatalf("binding ids are not distinct: %s", resp)
	}
	shape := func(ch change) (bindings []int, cols, rec, old []string) {
		for _, id := range ch.IDs {
			bindings = append(bindings, ids[id])
		}
		slices.Sort(bindings)
		for _, col := range ch.Data.Columns {
			cols = append(cols, col.Name)
		}
		for k := range ch.Data.Record {
			rec = append(rec, k)
		}
		for k := range ch.Data.OldRecord {
			old = append(old, k)
		}
		slices.Sort(rec)
		slices.Sort(old)
		return bindings, cols, rec, old
	}
	type got struct {
		Bindings       []int
		Cols, Rec, Old []string
	}
	e.exec(`insert into todos (owner, title, tags) values (gen_random_uuid(), 'selected', '{x}')`)
	var msgs []got
	for range 3 {
		b, cols, rec, old := shape(c.nextChange("realtime:sel"))
		msgs = append(msgs, got{b, cols, rec, old})
	}
	slices.SortFunc(msgs, func(a, b got) int { return a.Bindings[0] - b.Bindings[0] })
	want := []got{
		{Bindings: []int{0, 3}, Cols: []string{"id", "title"}, Rec: []string{"id", "title"}},
		{Bindings: []int{1}, Cols: []string{"id", "owner", "title", "done", "tags"}, Rec: []string{"done", "id", "owner", "tags", "title"}},
		{Bindings: []int{2}, Cols: []string{"id"}, Rec: []string{"id"}},
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("insert messages (-want +got):\n%s", diff)
	}
	// An update reaches the select binding alone, old_record projected too.
	e.exec(`update todos set done = true, owner = null`)
	b, cols, rec, old := shape(c.nextChange("realtime:sel"))
	if diff := cmp.Diff(got{[]int{0}, []string{"id", "title"}, []string{"id", "title"}, []string{"id", "title"}}, got{b, cols, rec, old}); diff != "" {
		t.Errorf("update message (-want +got):\n%s", diff)
	}
}

// TestSelectRefusals also covers the columns a filter names.
func TestSelectRefusals(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	c := e.dial(e.token("anon", ""), "2.0.0")
	cases := []struct {
		name   string
		pgc    map[string]any
		reason string
	}{
		{"string", map[string]any{"event": "*", "schema": "public", "table": "todos", "select": "title"}, string(errSelectNotList)},
		{"numbers", map[string]any{"event": "*", "schema": "public", "table": "todos", "select": []any{1}}, string(errSelectNotList)},
		{"wildcard schema", map[string]any{"event": "*", "schema": "*", "select": []string{"id"}}, string(errSelectWildcard)},
		{"wildcard table", map[string]any{"event": "*", "schema": "public", "table": "*", "select": []string{"id"}}, string(errSelectWildcard)},
		{"no table", map[string]any{"event": "*", "schema": "public", "select": []string{"id"}}, string(errSelectWildcard)},
		{"unknown column", map[string]any{"event": "*", "schema": "public", "table": "todos", "select": []string{"title", "nope"}}, "Exception: invalid column for select nope"},
		{"empty name", map[string]any{"event": "*", "schema": "public", "table": "todos", "select": []string{""}}, "Exception: invalid column for select "},
		{"unknown filter column", map[string]any{"event": "*", "schema": "public", "table": "todos", "filter": "title=eq.x,nope=eq.1"}, "Exception: invalid column for filter nope"},
	}
	for i, tc := range cases {
		ref := c.push("9", "realtime:refused-"+tc.name, evJoin, map[string]any{"config": map[string]any{"postgres_changes": []any{tc.pgc}}})
		status, resp := c.reply(ref)
		var r struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(resp, &r)
		if status != "error" || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%d %s: %s %s, want a reason with %q", i, tc.name, status, resp, tc.reason)
		}
	}
	// The socket is still usable.
	c.join("realtime:fine", map[string]any{
		"postgres_changes": []map[string]any{{"event": "*", "schema": "public", "table": "todos", "select": []string{"title"}}},
	}, "")
}

// TestColumnGrantsLimitPayloads: a role with SELECT on some columns of a
// table only (column-level grants) may subscribe to it by name, and its
// change payloads carry only those columns; a role with the whole table
// gets every column; a wildcard subscription receives only the changes of
// tables the role may select whole.
func TestColumnGrantsLimitPayloads(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(`create table public.open (id int primary key); alter publication supabase_realtime add table public.open;
		grant select on public.open to anon`)
	e.exec(`create table public.staff (id int primary key, name text, salary int);
		alter publication supabase_realtime add table public.staff;
		revoke all on public.staff from anon; -- the default privileges gave it the table
		grant select (id, name) on public.staff to anon;
		grant select on public.staff to authenticated`)
	pgc := func(table string) map[string]any {
		return map[string]any{"postgres_changes": []any{map[string]any{"event": "*", "schema": "public", "table": table}}}
	}
	anon := e.dial(e.token("anon", ""), "2.0.0")
	anon.join("realtime:staff", pgc("staff"), "")
	anon.join("realtime:all", pgc("*"), "") // anon may select public.open whole
	full := e.dial(e.token("anon", ""), "2.0.0")
	full.join("realtime:staff", pgc("staff"), e.token("authenticated", "u1"))

	e.exec(`insert into public.staff values (1, 'Ann', 5000)`)
	ch := anon.nextChange("realtime:staff")
	if ch.Data.Record["name"] != "Ann" || ch.Data.Record["id"] != float64(1) {
		t.Errorf("anon's record %v", ch.Data.Record)
	}
	if _, ok := ch.Data.Record["salary"]; ok {
		t.Errorf("anon received a column it may not select: %v", ch.Data.Record)
	}
	for _, col := range ch.Data.Columns {
		if col.Name == "salary" {
			t.Errorf("anon's columns name salary: %v", ch.Data.Columns)
		}
	}
	if ch := full.nextChange("realtime:staff"); ch.Data.Record["salary"] != float64(5000) {
		t.Errorf("authenticated's record %v", ch.Data.Record)
	}
	// The wildcard subscription gets public.open's changes, not
	// public.staff's: it carries every column, and anon may not read them
	// all. The staff row came first: had it been delivered, it would be
	// the first change on the channel.
	e.exec(`insert into public.open values (7)`)
	if ch := anon.nextChange("realtime:all"); ch.Data.Table != "open" {
		t.Errorf("anon's wildcard channel received a change of %s: %v", ch.Data.Table, ch.Data.Record)
	}
}
