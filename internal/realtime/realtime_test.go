package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/tenant"
)

const todosDDL = `
create table public.todos (id bigserial primary key, owner uuid, title text, done boolean not null default false, tags text[]);
grant select, insert, update, delete on public.todos to anon, authenticated, service_role;
alter publication supabase_realtime add table public.todos;`

func TestPostgresChangesFromSQL(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	for _, vsn := range []string{"1.0.0", "2.0.0"} {
		t.Run(vsn, func(t *testing.T) {
			c := e.dial(e.token("service_role", ""), vsn)
			topic := "realtime:todos-" + vsn
			_, resp := c.join(topic, map[string]any{
				"postgres_changes": []map[string]any{{"event": "*", "schema": "public", "table": "todos"}},
			}, "")
			var r struct {
				PG []struct {
					ID     uint32 `json:"id"`
					Event  string `json:"event"`
					Schema string `json:"schema"`
					Table  string `json:"table"`
				} `json:"postgres_changes"`
			}
			if err := json.Unmarshal(resp, &r); err != nil || len(r.PG) != 1 || r.PG[0].Event != "*" || r.PG[0].Table != "todos" {
				t.Fatalf("join response %s", resp)
			}
			c.next("system subscribed", func(m msg) bool {
				return m.Event == evSystem && strings.Contains(string(m.Payload), "Subscribed to PostgreSQL")
			})
			e.exec(`insert into todos (title, tags) values ('write tests ' || $1, '{a,b}')`, vsn)
			ch := c.nextChange(topic)
			if ch.Data.Type != EventInsert || ch.Data.EventType != EventInsert || ch.Data.Table != "todos" || ch.Data.Schema != "public" {
				t.Fatalf("change %+v", ch.Data)
			}
			if ch.IDs[0] != r.PG[0].ID || ch.Data.Record["title"] != "write tests "+vsn || ch.Data.Record["done"] != false || ch.Data.CommitTimestamp == "" {
				t.Errorf("record %+v ids %v", ch.Data.Record, ch.IDs)
			}
			id := ch.Data.Record["id"]
			types := map[string]string{}
			for _, col := range ch.Data.Columns {
				types[col.Name] = col.Type
			}
			if types["id"] != "int8" || types["title"] != "text" || types["tags"] != "_text" || types["done"] != "bool" {
				t.Errorf("columns %v", types)
			}
			e.exec(`update todos set done = true where id = $1`, id)
			ch = c.nextChange(topic)
			if ch.Data.Type != EventUpdate || ch.Data.Record["done"] != true || ch.Data.OldRecord["id"] != id {
				t.Errorf("update %+v", ch.Data)
			}
			e.exec(`delete from todos where id = $1`, id)
			ch = c.nextChange(topic)
			if ch.Data.Type != EventDelete || ch.Data.OldRecord["id"] != id {
				t.Errorf("delete %+v", ch.Data)
			}
		})
	}
}

func TestRLSHidesOtherUsersRows(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL + `
		alter table todos enable row level security;
		alter table todos replica identity full;
		create policy own on todos for select to authenticated using (owner = auth.uid());`)
	const alice, bob = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	subscribe := func(user string) *client {
		c := e.dial(e.token("anon", ""), "2.0.0")
		c.join("realtime:mine", map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
		}, e.token("authenticated", user))
		return c
	}
	a, b := subscribe(alice), subscribe(bob)
	anon := e.dial(e.token("anon", ""), "2.0.0")
	anonJoin, _ := anon.join("realtime:mine", map[string]any{
		"postgres_changes": []map[string]any{{"event": "*", "schema": "public", "table": "todos"}},
	}, "")
	// Changes arrive in commit order: a client's first change being its own
	// row proves the other's row, committed before, was withheld.
	e.exec(`insert into todos (owner, title) values ($1, 'bob''s')`, bob)
	e.exec(`insert into todos (owner, title) values ($1, 'alice''s')`, alice)
	e.exec(`insert into todos (owner, title) values ($1, 'bob''s second')`, bob)
	if got := a.nextChange("realtime:mine").Data.Record["title"]; got != "alice's" {
		t.Errorf("alice got %v first", got)
	}
	if got := b.nextChange("realtime:mine").Data.Record["title"]; got != "bob's" {
		t.Errorf("bob got %v first", got)
	}
	if got := b.nextChange("realtime:mine").Data.Record["title"]; got != "bob's second" {
		t.Errorf("bob got %v second", got)
	}
	// Anon sees nothing: a later delete (not subject to RLS) is its first
	// change, and its old_record has only the primary key, though the
	// replica identity is full: the row cannot be checked any more.
	e.exec(`delete from todos where owner = $1`, alice)
	if got := anon.nextChange("realtime:mine").Data; got.Type != EventDelete || len(got.OldRecord) != 1 || got.OldRecord["id"] == nil {
		t.Errorf("anon first got a %s with old_record %v", got.Type, got.OldRecord)
	}
	// A refreshed access token changes what the open channel sees.
	if status, _ := anon.reply(anon.push(anonJoin, "realtime:mine", evAccessToken, map[string]string{"access_token": e.token("authenticated", alice)})); status != "ok" {
		t.Fatalf("access_token: %s", status)
	}
	e.exec(`insert into todos (owner, title) values ($1, 'bob''s third')`, bob)
	e.exec(`insert into todos (owner, title) values ($1, 'alice''s second')`, alice)
	if got := anon.nextChange("realtime:mine").Data.Record["title"]; got != "alice's second" {
		t.Errorf("after the token refresh got %v first", got)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	c := e.dial(e.token("service_role", ""), "2.0.0")
	cases := []struct{ topic, filter, want string }{
		{"realtime:eq", "title=eq.two", "two"},
		{"realtime:neq", "title=neq.one", "two"},
		{"realtime:gt", "id=gt.1", "two"},
		{"realtime:gte", "id=gte.2", "two"},
		{"realtime:lt", "id=lt.2", "one"},
		{"realtime:lte", "id=lte.1", "one"},
		{"realtime:in", "title=in.(three,two)", "two"},
		{"realtime:not-in", "title=not.in.(one,three)", "two"},
		{"realtime:like", "title=like.t%", "two"},
		{"realtime:ilike", "title=ilike.%NE", "one"},
		{"realtime:match", "title=match.^t.o$", "two"},
		{"realtime:is-null", "owner=is.null", "one"},
		{"realtime:and", "id=gte.1,title=neq.one", "two"},
	}
	for _, tc := range cases {
		c.join(tc.topic, map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos", "filter": tc.filter}},
		}, "")
	}
	e.exec(`insert into todos (id, title) values (1, 'one')`)
	e.exec(`insert into todos (id, title) values (2, 'two')`)
	for _, tc := range cases {
		if got := c.nextChange(tc.topic).Data.Record["title"]; got != tc.want {
			t.Errorf("%s: first change %v, want %s", tc.filter, got, tc.want)
		}
	}
}

func TestBadJoins(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(`create table public.unpublished (id int primary key)`)
	e.exec(`create table public.typed (id int primary key, at timestamptz); alter publication supabase_realtime add table public.typed;
		grant select on public.typed to anon`)
	c := e.dial(e.token("anon", ""), "2.0.0")
	for name, pgc := range map[string]map[string]any{
		"bad filter":        {"event": "*", "schema": "public", "table": "unpublished", "filter": "id=foo.1"},
		"bad event":         {"event": "UPSERT", "schema": "public", "table": "unpublished"},
		"unpublished table": {"event": "*", "schema": "public", "table": "unpublished"},
		// Values a column cannot hold are refused with PostgreSQL's reason.
		"not an integer":     {"event": "*", "schema": "public", "table": "typed", "filter": "id=eq.abc"},
		"not an integer, in": {"event": "*", "schema": "public", "table": "typed", "filter": "id=in.(1,2,x)"},
		"not a timestamp":    {"event": "*", "schema": "public", "table": "typed", "filter": "id=gt.1,at=lt.yesterday-ish"},
	} {
		ref := c.push("9", "realtime:"+name, evJoin, map[string]any{"config": map[string]any{"postgres_changes": []any{pgc}}})
		status, resp := c.reply(ref)
		if status != "error" || !strings.Contains(string(resp), "reason") {
			t.Errorf("%s: %s %s", name, status, resp)
		}
		if strings.HasPrefix(name, "not a") && !strings.Contains(string(resp), "invalid input syntax") {
			t.Errorf("%s: the reason does not give PostgreSQL's: %s", name, resp)
		}
	}
	// Values the columns can hold join.
	for i, filter := range []string{"id=eq.5", "id=in.(1,2,3)", "at=lt.2030-01-01T00:00:00Z", "id=is.null"} {
		pgc := map[string]any{"event": "*", "schema": "public", "table": "typed", "filter": filter}
		ref := c.push("9", fmt.Sprintf("realtime:fine%d", i), evJoin, map[string]any{"config": map[string]any{"postgres_changes": []any{pgc}}})
		if status, resp := c.reply(ref); status != "ok" {
			t.Errorf("filter %s: %s %s", filter, status, resp)
		}
	}
	ref := c.push("10", "realtime:x", evJoin, map[string]any{"config": map[string]any{}, "access_token": "not-a-jwt"})
	if status, _ := c.reply(ref); status != "error" {
		t.Errorf("bad access_token: %s", status)
	}
	if status, _ := c.reply(c.push("", topicPhoenix, evHeartbeat, map[string]any{})); status != "ok" {
		t.Errorf("heartbeat: %s", status)
	}
}

func TestBroadcastAndPresence(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	a := e.dial(e.token("anon", ""), "2.0.0")
	b := e.dial(e.token("anon", ""), "1.0.0")
	cfg := func(self bool, key string) map[string]any {
		return map[string]any{"broadcast": map[string]any{"self": self, "ack": true}, "presence": map[string]any{"enabled": true, "key": key}}
	}
	aJoin, _ := a.join("realtime:room", cfg(false, "alice"), "")
	a.next("presence_state", func(m msg) bool { return m.Event == evPresState })
	b.join("realtime:room", cfg(true, "bob"), "")
	b.next("presence_state", func(m msg) bool { return m.Event == evPresState })

	// JSON broadcast from a (not to itself), acknowledged.
	ref := a.push(aJoin, "realtime:room", evBroadcast, map[string]any{"type": "broadcast", "event": "cursor", "payload": map[string]int{"x": 1}})
	if status, _ := a.reply(ref); status != "ok" {
		t.Fatalf("ack: %s", status)
	}
	m := b.next("broadcast", func(m msg) bool { return m.Event == evBroadcast })
	if !strings.Contains(string(m.Payload), `"event":"cursor"`) || !strings.Contains(string(m.Payload), `"x":1`) {
		t.Errorf("b got %s", m.Payload)
	}
	// A binary push from a reaches b (1.0.0) as JSON, and b, which asked
	// for self, sees its own broadcast on a as a binary frame.
	bin := []byte{kindUserBroadcastPush, byte(len(aJoin)), 2, byte(len("realtime:room")), byte(len("ping")), 0, encodingJSON}
	bin = append(bin, aJoin...)
	bin = append(bin, "99"...)
	bin = append(bin, "realtime:room"...)
	bin = append(bin, "ping"...)
	bin = append(bin, `{"n":2}`...)
	if err := a.conn.Write(t.Context(), websocket.MessageBinary, bin); err != nil {
		t.Fatal(err)
	}
	m = b.next("binary-pushed broadcast", func(m msg) bool { return m.Event == evBroadcast && strings.Contains(string(m.Payload), "ping") })
	if !strings.Contains(string(m.Payload), `"n":2`) {
		t.Errorf("b got %s", m.Payload)
	}
	b.push("", "realtime:room", evBroadcast, map[string]any{"type": "broadcast", "event": "hello", "payload": map[string]string{"from": "b"}})
	m = a.next("binary broadcast", func(m msg) bool { return m.Binary != nil && bytes.Contains(m.Binary, []byte("hello")) })
	if m.Binary[0] != kindUserBroadcast || !bytes.HasSuffix(m.Binary, []byte(`{"from":"b"}`)) {
		t.Errorf("a got frame %q", m.Binary)
	}
	b.next("own broadcast (self)", func(m msg) bool { return m.Event == evBroadcast && strings.Contains(string(m.Payload), "hello") })

	// Presence: a tracks, b sees the join; a leaves, b sees the leave.
	if status, _ := a.reply(a.push(aJoin, "realtime:room", evPresence, map[string]any{"type": "presence", "event": "track", "payload": map[string]string{"status": "online"}})); status != "ok" {
		t.Fatalf("track: %s", status)
	}
	m = b.next("presence join", func(m msg) bool {
		return m.Event == evPresDiff && strings.Contains(string(m.Payload), `"joins":{"alice"`)
	})
	if !strings.Contains(string(m.Payload), `"status":"online"`) || !strings.Contains(string(m.Payload), "phx_ref") {
		t.Errorf("diff %s", m.Payload)
	}
	c := e.dial(e.token("anon", ""), "2.0.0")
	c.join("realtime:room", cfg(false, "carol"), "")
	m = c.next("presence_state", func(m msg) bool { return m.Event == evPresState })
	if !strings.Contains(string(m.Payload), `"alice":{"metas":[{`) {
		t.Errorf("state %s", m.Payload)
	}
	if status, _ := a.reply(a.push(aJoin, "realtime:room", evLeave, map[string]any{})); status != "ok" {
		t.Fatalf("leave: %s", status)
	}
	b.next("presence leave", func(m msg) bool {
		return m.Event == evPresDiff && strings.Contains(string(m.Payload), `"leaves":{"alice"`)
	})

	// The HTTP endpoint broadcasts too.
	body := `{"messages":[{"topic":"room","event":"from-http","payload":{"ok":true}}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.http+"/realtime/v1/api/broadcast", strings.NewReader(body))
	req.Header.Set("apikey", e.token("anon", ""))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("broadcast endpoint: %d", resp.StatusCode)
	}
	c.next("broadcast from HTTP", func(m msg) bool { return m.Binary != nil && bytes.Contains(m.Binary, []byte("from-http")) })
}

func TestPrivateChannelsAndDatabaseBroadcast(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(`create policy members_read on realtime.messages for select to authenticated using (realtime.topic() = 'private-room');
		create policy members_write on realtime.messages for insert to authenticated with check (realtime.topic() = 'private-room');`)
	const user = "00000000-0000-0000-0000-0000000000c1"
	anon := e.dial(e.token("anon", ""), "2.0.0")
	ref := anon.push("1", "realtime:private-room", evJoin, map[string]any{"config": map[string]any{"private": true}})
	if status, _ := anon.reply(ref); status != "error" {
		t.Errorf("anon joined a private channel: %s", status)
	}
	u := e.dial(e.token("anon", ""), "2.0.0")
	since := e.nowMillis()
	e.exec(`select realtime.send('{"n": 1}'::jsonb, 'stored', 'private-room', true)`)
	joinRef, _ := u.join("realtime:private-room", map[string]any{
		"private": true, "broadcast": map[string]any{"replay": map[string]any{"since": since, "limit": 10}},
	}, e.token("authenticated", user))
	m := u.next("replayed broadcast", func(m msg) bool { return m.Binary != nil && bytes.Contains(m.Binary, []byte("stored")) })
	if !bytes.Contains(m.Binary, []byte(`"replayed":true`)) {
		t.Errorf("replay frame %q", m.Binary)
	}
	// The same message also arrives live through the WAL, then a new one.
	e.exec(`select realtime.send('{"n": 2}'::jsonb, 'live', 'private-room', true)`)
	u.next("broadcast from the database", func(m msg) bool { return m.Binary != nil && bytes.Contains(m.Binary, []byte(`"n": 2`)) })
	_ = joinRef
	// A trigger calling realtime.broadcast_changes broadcasts row changes.
	e.exec(todosDDL + `
		create function public.todos_broadcast() returns trigger language plpgsql security definer as $$
		begin
			perform realtime.broadcast_changes('private-room', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
			return null;
		end $$;
		create trigger todos_broadcast after insert or update or delete on public.todos
			for each row execute function public.todos_broadcast();`)
	e.exec(`insert into todos (title) values ('from a trigger')`)
	m = u.next("broadcast_changes", func(m msg) bool { return m.Binary != nil && bytes.Contains(m.Binary, []byte("from a trigger")) })
	for _, want := range []string{"INSERT", `"operation": "INSERT"`, `"table": "todos"`, `"old_record": null`} {
		if !bytes.Contains(m.Binary, []byte(want)) {
			t.Errorf("broadcast_changes frame %q lacks %s", m.Binary, want)
		}
	}
	other := e.dial(e.token("anon", ""), "2.0.0")
	ref = other.push("1", "realtime:other-room", evJoin, map[string]any{"config": map[string]any{"private": true}, "access_token": e.token("authenticated", user)})
	if status, _ := other.reply(ref); status != "error" {
		t.Errorf("joined a private channel the policies do not allow: %s", status)
	}
}

func (e *env) nowMillis() int64 {
	var ms int64
	if err := e.super.QueryRow(e.t.Context(), "select (extract(epoch from now()) * 1000)::int8 - 1000").Scan(&ms); err != nil {
		e.t.Fatal(err)
	}
	return ms
}

func TestChangeWhileStoppedReachesRejoin(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	join := func() *client {
		c := e.dial(e.token("service_role", ""), "2.0.0")
		c.join("realtime:durable", map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
		}, "")
		return c
	}
	c := join()
	e.exec(`insert into todos (title) values ('before')`)
	if got := c.nextChange("realtime:durable").Data.Record["title"]; got != "before" {
		t.Fatalf("got %v", got)
	}
	if err := e.rt.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-c.done
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Errorf("socket closed with %v", c.err)
	}
	e.waitSlot(false) // inactive: nothing decodes now
	e.exec(`insert into todos (title) values ('while stopped')`)
	if err := e.rt.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c = join()
	if got := c.nextChange("realtime:durable").Data.Record["title"]; got != "while stopped" {
		t.Errorf("after the restart got %v first", got)
	}
}

func TestProjectDeleteDropsSlotAndPublication(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	ref, err := tenant.NewRef()
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.tenants.Create(t.Context(), tenant.CreateOptions{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), e.srv.ConnString("postgres"))
		if err == nil {
			_ = dropSlot(context.Background(), conn, SlotName(p.Database))
			_, _ = conn.Exec(context.Background(), "drop database if exists "+pgx.Identifier{p.Database}.Sanitize()+" with (force)")
			_ = conn.Close(context.Background())
		}
	})
	slotState := func() (exists bool) {
		err := e.super.QueryRow(t.Context(), "select exists (select from pg_replication_slots where slot_name = $1 and active)", SlotName(p.Database)).Scan(&exists)
		if err != nil {
			t.Fatal(err)
		}
		return exists
	}
	if slotState() {
		t.Fatal("a new project without subscribers has an active slot")
	}
	// A subscriber starts the capture (as a join does).
	rp, err := e.rt.startProject(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := rp.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	poll(t, "the new project's slot", slotState)
	conn, err := pgx.Connect(t.Context(), e.srv.ConnString(p.Database))
	if err != nil {
		t.Fatal(err)
	}
	var pubs int
	if err := conn.QueryRow(t.Context(), "select count(*) from pg_publication where pubname in ($1, $2)", Publication, messagesPublication).Scan(&pubs); err != nil || pubs != 2 {
		t.Fatalf("publications: %d %v", pubs, err)
	}
	_ = conn.Close(t.Context())
	if _, err := e.tenants.Delete(t.Context(), ref, tenant.DeleteOptions{NoDump: true}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.super.QueryRow(t.Context(), "select count(*) from pg_replication_slots where slot_name = $1", SlotName(p.Database)).Scan(&n); err != nil || n != 0 {
		t.Errorf("slot left behind: %d %v", n, err)
	}
	if err := e.super.QueryRow(t.Context(), "select count(*) from pg_database where datname = $1", p.Database).Scan(&n); err != nil || n != 0 {
		t.Errorf("database left behind: %d %v", n, err)
	}
}

func TestSlowClientDisconnected(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{SendQueue: 8})
	slow, err := dialRaw(t.Context(), e.url, e.token("anon", ""), "2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	join := encodeText(true, ptr("1"), ptr("1"), "realtime:flood", evJoin, mustJSON(map[string]any{"config": map[string]any{}}))
	if err := slow.Write(t.Context(), websocket.MessageText, join.data); err != nil {
		t.Fatal(err)
	}
	fast := e.dial(e.token("anon", ""), "2.0.0")
	// Not self: the sender would receive its own flood and could be the
	// one found too slow.
	fastJoin, _ := fast.join("realtime:flood", map[string]any{"broadcast": map[string]any{"self": false}}, "")
	// Flood until the server gives up on the client that does not read.
	big := strings.Repeat("x", 64<<10)
	for i := 0; e.rt.slowDisconnects.Load() == 0; i++ {
		fast.push(fastJoin, "realtime:flood", evBroadcast, map[string]any{"type": "broadcast", "event": "flood", "payload": map[string]any{"i": i, "pad": big}})
		if i > 100000 {
			t.Fatal("the slow client was never disconnected")
		}
	}
	// The slow client now reads: the queue it had, then the close reason.
	var closeErr websocket.CloseError
	for {
		_, _, err := slow.Read(t.Context())
		if err != nil {
			if !errors.As(err, &closeErr) {
				t.Fatalf("slow client ended with %v", err)
			}
			break
		}
	}
	if closeErr.Code != websocket.StatusPolicyViolation || closeErr.Reason != ErrSlowClient.Error() {
		t.Errorf("closed with %d %q", closeErr.Code, closeErr.Reason)
	}
	// The other client is unaffected.
	if status, _ := fast.reply(fast.push("", topicPhoenix, evHeartbeat, map[string]any{})); status != "ok" {
		t.Errorf("heartbeat: %s", status)
	}
}

func ptr(s string) *string { return &s }

func TestCaptureStartsOnFirstJoin(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL)
	counts := func() (slots, walsenders int) {
		t.Helper()
		err := e.super.QueryRow(t.Context(), `select
			(select count(*) from pg_replication_slots where database = current_database()),
			(select count(*) from pg_stat_replication r join pg_stat_activity a using (pid) where a.datname = current_database())`).Scan(&slots, &walsenders)
		if err != nil {
			t.Fatal(err)
		}
		return slots, walsenders
	}
	if slots, walsenders := counts(); slots != 0 || walsenders != 0 {
		t.Fatalf("a project nobody subscribed to has %d slots and %d walsenders", slots, walsenders)
	}
	c := e.dial(e.token("service_role", ""), "2.0.0")
	c.join("realtime:lazy", map[string]any{
		"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
	}, "")
	// The slot exists once the join is answered: this insert is decoded.
	if slots, _ := counts(); slots != 1 {
		t.Fatalf("after the first join: %d slots", slots)
	}
	e.exec(`insert into todos (title) values ('first')`)
	if got := c.nextChange("realtime:lazy").Data.Record["title"]; got != "first" {
		t.Errorf("got %v", got)
	}
	if _, walsenders := counts(); walsenders != 1 {
		t.Errorf("%d walsenders while subscribed", walsenders)
	}
}

func TestIdleCaptureStopsAndKeepsSlot(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{HoldWindow: 300 * time.Millisecond})
	e.exec(todosDDL)
	join := func() *client {
		c := e.dial(e.token("service_role", ""), "2.0.0")
		c.join("realtime:idle", map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
		}, "")
		return c
	}
	c := join()
	e.waitSlot(true)
	_ = c.conn.CloseNow()
	<-c.done
	// The last subscriber left: the walsender stops after the grace period,
	// the slot stays (it is dropped with the project).
	e.waitSlot(false)
	var n int
	if err := e.super.QueryRow(t.Context(), "select count(*) from pg_replication_slots where slot_name = $1", SlotName(e.dbName)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("slot count %d %v", n, err)
	}
	c = join()
	e.exec(`insert into todos (title) values ('after idle')`)
	if got := c.nextChange("realtime:idle").Data.Record["title"]; got != "after idle" {
		t.Errorf("got %v", got)
	}
}

// TestIdleSlotDroppedPastWALBound checks the bound on the WAL an unused slot
// holds back: past it the slot is dropped, and a channel that joins within
// the hold window is told that changes were lost; capture resumes on a new
// slot.
func TestIdleSlotDroppedPastWALBound(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{HoldWindow: 3 * time.Second, MaxSlotWALMB: 1, SlotCheckInterval: 20 * time.Millisecond})
	e.exec(todosDDL)
	join := func() *client {
		c := e.dial(e.token("service_role", ""), "2.0.0")
		c.join("realtime:bounded", map[string]any{
			"postgres_changes": []map[string]any{{"event": "INSERT", "schema": "public", "table": "todos"}},
		}, "")
		return c
	}
	c := join()
	e.waitSlot(true)
	_ = c.conn.CloseNow()
	<-c.done
	e.waitSlot(false) // the capture stopped: nobody subscribes
	// More than a megabyte of WAL that the unused slot holds back.
	e.exec(`insert into todos (title) select repeat(md5(g::text), 40) from generate_series(1, 2000) g`)
	poll(t, "the slot dropped", func() bool {
		var n int
		err := e.super.QueryRow(t.Context(), "select count(*) from pg_replication_slots where slot_name = $1", SlotName(e.dbName)).Scan(&n)
		return err == nil && n == 0
	})
	c = join()
	m := c.next("the changes-lost message", func(m msg) bool {
		return m.Event == evSystem && strings.Contains(string(m.Payload), `"status":"error"`)
	})
	var sys struct {
		Status, Extension, Message, Channel string
	}
	if err := json.Unmarshal(m.Payload, &sys); err != nil || sys.Extension != evPGChanges || sys.Message != lostMessage || sys.Channel != "bounded" {
		t.Errorf("system message %s", m.Payload)
	}
	// The rows committed while the slot was gone are not replayed; capture
	// goes on from the new slot.
	e.exec(`insert into todos (title) values ('after the loss')`)
	if got := c.nextChange("realtime:bounded").Data.Record["title"]; got != "after the loss" {
		t.Errorf("first change after the loss: %.40v", got)
	}
}

// TestMessageSizeLimit: realtime.max_message_bytes bounds an HTTP
// broadcast body (413, never a truncated payload sent on) and a client's
// websocket frame (the socket is closed with 1009, message too big).
func TestMessageSizeLimit(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{MaxMessageBytes: 1024})
	big := strings.Repeat("x", 2048)
	for _, tc := range []struct{ path, contentType, body string }{
		{"/realtime/v1/api/broadcast", "application/json", `{"messages":[{"topic":"room","event":"e","payload":{"p":"` + big + `"}}]}`},
		{"/realtime/v1/api/broadcast/room/events/e", "application/octet-stream", big},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.http+tc.path, strings.NewReader(tc.body))
		req.Header.Set("apikey", e.token("service_role", ""))
		req.Header.Set("Content-Type", tc.contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes: %d, want 413", tc.path, len(tc.body), resp.StatusCode)
		}
	}
	c := e.dial(e.token("anon", ""), "1.0.0")
	c.push("1", "realtime:room", evJoin, map[string]any{"config": map[string]any{"pad": big}})
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("a frame over the limit did not close the socket")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if websocket.CloseStatus(c.err) != websocket.StatusMessageTooBig {
		t.Errorf("socket ended with %v, want 1009", c.err)
	}
}
