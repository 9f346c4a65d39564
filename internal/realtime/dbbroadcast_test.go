package realtime

import (
	"encoding/json"
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
