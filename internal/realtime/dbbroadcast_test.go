package realtime

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// asUser runs sql in one transaction as the authenticated role with sub's
// claims, as the REST API's requests run.
func (e *env) asUser(sub, sql string) {
	e.t.Helper()
	err := pgx.BeginFunc(e.t.Context(), e.super, func(tx pgx.Tx) error {
		claims := string(mustJSON(map[string]string{"role": "authenticated", "sub": sub}))
		if _, err := tx.Exec(e.t.Context(), "select set_config('request.jwt.claims', $1, true)", claims); err != nil {
			return err
		}
		if _, err := tx.Exec(e.t.Context(), "set local role authenticated"); err != nil {
			return err
		}
		_, err := tx.Exec(e.t.Context(), sql)
		return err
	})
	if err != nil {
		e.t.Fatalf("%s as %s: %v", sql, sub, err)
	}
}

// TestSendSetsTopicForPolicies: realtime.send sets realtime.topic for its
// insert, so a trigger running as authenticated passes policies on
// realtime.messages written as Supabase documents them; the message gets an
// id, added to its payload, as Supabase's.
func TestSendSetsTopicForPolicies(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(`create policy room_read on realtime.messages for select to authenticated using (realtime.topic() = 'room');
		create policy room_write on realtime.messages for insert to authenticated with check (realtime.topic() = 'room');
		create table public.notes (id bigserial primary key, body text);
		grant select, insert on public.notes to authenticated;
		grant usage on sequence public.notes_id_seq to authenticated;
		create function public.notes_send() returns trigger language plpgsql as $$
		begin
			perform realtime.send(jsonb_build_object('body', new.body), 'note', 'room', true);
			perform realtime.send(jsonb_build_object('body', new.body), 'note', 'elsewhere', true);
			return null;
		end $$;
		create trigger notes_send after insert on public.notes for each row execute function public.notes_send();`)
	const user = "00000000-0000-0000-0000-0000000000d1"
	c := e.dial(e.token("anon", ""), "1.0.0")
	c.join("realtime:room", map[string]any{"private": true}, e.token("authenticated", user))
	e.asUser(user, `insert into public.notes (body) values ('sent by a trigger')`)
	m := c.next("a broadcast from the trigger", func(m msg) bool { return m.Event == evBroadcast && m.Topic == "realtime:room" })
	var b struct {
		Type    string `json:"type"`
		Event   string `json:"event"`
		Payload struct {
			Body string `json:"body"`
			ID   string `json:"id"`
		} `json:"payload"`
		Meta struct {
			ID string `json:"id"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(m.Payload, &b); err != nil {
		t.Fatal(err)
	}
	if b.Type != "broadcast" || b.Event != "note" || b.Payload.Body != "sent by a trigger" || b.Payload.ID == "" || b.Meta.ID != b.Payload.ID {
		t.Errorf("broadcast %s", m.Payload)
	}
	// The policy refused the other topic: nothing was stored for it.
	var n int
	if err := e.super.QueryRow(t.Context(), "select count(*) from realtime.messages where topic = 'elsewhere'").Scan(&n); err != nil || n != 0 {
		t.Errorf("messages on a topic the policy refuses: %d %v", n, err)
	}
}

// userBroadcast is a decoded 2.0.0 binary broadcast frame.
type userBroadcast struct {
	Topic, Event string
	Meta         json.RawMessage
	Encoding     byte
	Payload      []byte
}

func decodeUserBroadcast(t *testing.T, b []byte) userBroadcast {
	t.Helper()
	if len(b) < 5 || b[0] != kindUserBroadcast || len(b) < 5+int(b[1])+int(b[2])+int(b[3]) {
		t.Fatalf("not a user broadcast frame: %q", b)
	}
	o := 5
	u := userBroadcast{Encoding: b[4]}
	u.Topic, o = string(b[o:o+int(b[1])]), o+int(b[1])
	u.Event, o = string(b[o:o+int(b[2])]), o+int(b[2])
	u.Meta, o = json.RawMessage(b[o:o+int(b[3])]), o+int(b[3])
	u.Payload = b[o:]
	return u
}

// TestReplayedBroadcasts: a private channel joined with broadcast.replay is
// sent the last limit stored broadcasts since the time (10 without a
// limit), oldest first, each with meta {"id", "replayed": true} as
// Supabase Realtime sends them: 2.0.0 in binary frames (a binary payload
// as it is), 1.0.0 in JSON (binary payloads skipped, as Supabase does).
func TestReplayedBroadcasts(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	since := e.nowMillis()
	for _, sql := range []string{
		`select realtime.send('{"n": 1}', 'one', 'replays', true)`,
		`select realtime.send('{"n": 2}', 'two', 'replays', true)`,
		`select realtime.send_binary('\xcafe'::bytea, 'three', 'replays', true)`,
	} {
		e.exec(sql)
	}
	ids := map[string]string{}
	rows, err := e.super.Query(t.Context(), "select event, id::text from realtime.messages where topic = 'replays'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ev, id string
		if err := rows.Scan(&ev, &id); err != nil {
			t.Fatal(err)
		}
		ids[ev] = id
	}
	rows.Close()
	meta := func(ev string) string { return `{"id":"` + ids[ev] + `","replayed":true}` }
	join := func(vsn string, limit any) *client {
		c := e.dial(e.token("service_role", ""), vsn)
		replay := map[string]any{"since": since}
		if limit != nil {
			replay["limit"] = limit
		}
		c.join("realtime:replays", map[string]any{"private": true, "broadcast": map[string]any{"replay": replay}}, "")
		return c
	}

	c := join("2.0.0", 2)
	two := decodeUserBroadcast(t, c.next("replay of two", func(m msg) bool { return m.Binary != nil }).Binary)
	three := decodeUserBroadcast(t, c.next("replay of three", func(m msg) bool { return m.Binary != nil }).Binary)
	if two.Event != "two" || two.Topic != "realtime:replays" || two.Encoding != encodingJSON || string(two.Meta) != meta("two") ||
		!bytes.Contains(two.Payload, []byte(`"n": 2`)) {
		t.Errorf("2.0.0 replay of two: %+v %s", two, two.Payload)
	}
	if three.Event != "three" || three.Encoding != encodingBinary || string(three.Meta) != meta("three") || string(three.Payload) != "\xca\xfe" {
		t.Errorf("2.0.0 replay of three: %+v", three)
	}

	for _, limit := range []any{nil, 2} {
		c := join("1.0.0", limit)
		var got []string
		n := 2 // one and two
		if limit != nil {
			n = 1 // two and three, which is binary
		}
		for range n {
			m := c.next("a replay", func(m msg) bool { return m.Event == evBroadcast })
			var b struct {
				Type    string          `json:"type"`
				Event   string          `json:"event"`
				Payload json.RawMessage `json:"payload"`
				Meta    json.RawMessage `json:"meta"`
			}
			if err := json.Unmarshal(m.Payload, &b); err != nil {
				t.Fatal(err)
			}
			if b.Type != "broadcast" || string(b.Meta) != meta(b.Event) {
				t.Errorf("1.0.0 replay %s", m.Payload)
			}
			got = append(got, b.Event)
		}
		want := "one two"
		if limit != nil {
			want = "two" // three is binary
		}
		if strings.Join(got, " ") != want {
			t.Errorf("1.0.0, limit %v: replayed %v, want %s", limit, got, want)
		}
		c.push("", "phoenix", evHeartbeat, map[string]any{})
		c.next("heartbeat reply", func(m msg) bool { return m.Topic == "phoenix" })
		for _, m := range c.backlog {
			if m.Event == evBroadcast || m.Binary != nil {
				t.Errorf("1.0.0, limit %v: more replayed: %s", limit, m.Payload)
			}
		}
	}
}
