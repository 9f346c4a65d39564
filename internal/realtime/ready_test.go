package realtime

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
)

// systemMsg is a system message's payload.
type systemMsg struct {
	Channel   string `json:"channel"`
	Extension string `json:"extension"`
	Message   string `json:"message"`
	Status    string `json:"status"`
}

func (c *client) nextSystem(topic string) systemMsg {
	c.t.Helper()
	m := c.next("a system message on "+topic, func(m msg) bool { return m.Topic == topic && m.Event == evSystem })
	var s systemMsg
	if err := json.Unmarshal(m.Payload, &s); err != nil {
		c.t.Fatal(err)
	}
	return s
}

// TestReplicationReady: a channel joined with
// config.broadcast.replication_ready is sent, once the capture streams, the
// system message Supabase Realtime sends, once; broadcasts from the database
// (realtime.send, send_binary, broadcast_changes) reach it from then on, in
// both serializers. "true" opts in as true does; false and "false" do not.
func TestReplicationReady(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{})
	e.exec(todosDDL + `
		create function public.todos_broadcast() returns trigger language plpgsql as $$
		begin
			perform realtime.broadcast_changes('ready-' || new.title, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
			return null;
		end $$;
		create trigger todos_broadcast after insert on public.todos for each row execute function public.todos_broadcast();`)
	want := systemMsg{Channel: "ready-1.0.0", Extension: "system", Message: "Replication connection established", Status: "ok"}
	for _, opt := range []any{true, "true"} {
		for _, vsn := range []string{"1.0.0", "2.0.0"} {
			c := e.dial(e.token("service_role", ""), vsn)
			topic := "realtime:ready-" + vsn
			c.join(topic, map[string]any{"private": true, "broadcast": map[string]any{"replication_ready": opt}}, "")
			want.Channel = "ready-" + vsn
			if diff := cmp.Diff(want, c.nextSystem(topic)); diff != "" {
				t.Errorf("%s, replication_ready %v: system message (-want +got):\n%s", vsn, opt, diff)
			}
			e.exec(`select realtime.send('{"n": 1}', 'sent', $1, true)`, want.Channel)
			e.exec(`select realtime.send_binary('\x00ff'::bytea, 'raw', $1, true)`, want.Channel)
			e.exec(`insert into todos (title) values ($1)`, vsn)
			c.next("realtime.send", func(m msg) bool { return isBroadcast(m, topic, "sent") })
			bin := c.next("realtime.send_binary", func(m msg) bool { return isBroadcast(m, topic, "raw") })
			if vsn == "2.0.0" && (bin.Binary == nil || bin.Binary[4] != encodingBinary || string(bin.Binary[len(bin.Binary)-2:]) != "\x00\xff") {
				t.Errorf("binary broadcast frame %q", bin.Binary)
			}
			c.next("broadcast_changes", func(m msg) bool { return isBroadcast(m, topic, "INSERT") })
			if n := countSystem(c, topic); n != 0 {
				t.Errorf("%s: %d more system messages", vsn, n)
			}
		}
	}
	for _, opt := range []any{false, "false", "maybe"} {
		c := e.dial(e.token("service_role", ""), "1.0.0")
		c.join("realtime:not-ready", map[string]any{"broadcast": map[string]any{"replication_ready": opt, "self": true}}, "")
		c.push("1", "realtime:not-ready", evBroadcast, map[string]any{"type": "broadcast", "event": "probe", "payload": map[string]any{}})
		c.next("the probe", func(m msg) bool { return isBroadcast(m, "realtime:not-ready", "probe") })
		if n := countSystem(c, "realtime:not-ready"); n != 0 {
			t.Errorf("replication_ready %v: %d system messages", opt, n)
		}
	}
}

// TestReplicationReadyTimeout: while another walsender holds the project's
// slot the capture cannot stream; a channel waiting for it is closed after
// the timeout with the error Supabase Realtime sends.
func TestReplicationReadyTimeout(t *testing.T) {
	t.Parallel()
	e := boot(t, Config{ReplicationReadyTimeout: 300 * time.Millisecond})
	e.exec(`select pg_create_logical_replication_slot($1, 'pgoutput')`, SlotName(e.dbName))
	cfg, err := pgconn.ParseConfig(e.srv.ConnString(e.dbName))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["replication"] = "database"
	holder, err := pgconn.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close(t.Context()) })
	if err := pglogrepl.StartReplication(t.Context(), holder, SlotName(e.dbName), 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + Publication + "'"},
	}); err != nil {
		t.Fatal(err)
	}
	c := e.dial(e.token("service_role", ""), "1.0.0")
	c.join("realtime:waiting", map[string]any{"broadcast": map[string]any{"replication_ready": true}}, "")
	want := systemMsg{Channel: "waiting", Extension: "system", Message: "Replication connection was not established in time", Status: "error"}
	if diff := cmp.Diff(want, c.nextSystem("realtime:waiting")); diff != "" {
		t.Errorf("system message (-want +got):\n%s", diff)
	}
	c.next("phx_close", func(m msg) bool { return m.Topic == "realtime:waiting" && m.Event == evClose })
}

// isBroadcast reports whether m is a broadcast of event on topic, in
// either serializer.
func isBroadcast(m msg, topic, event string) bool {
	if m.Binary != nil {
		return len(m.Binary) > 3 && int(m.Binary[1]) == len(topic) && int(m.Binary[2]) == len(event) &&
			string(m.Binary[5:5+len(topic)]) == topic && string(m.Binary[5+len(topic):5+len(topic)+len(event)]) == event
	}
	var b struct{ Event string }
	return m.Topic == topic && m.Event == evBroadcast && json.Unmarshal(m.Payload, &b) == nil && b.Event == event
}

// countSystem counts the system messages on topic read so far.
func countSystem(c *client, topic string) int {
	n := 0
	for len(c.in) > 0 {
		c.backlog = append(c.backlog, <-c.in)
	}
	for _, m := range c.backlog {
		if m.Topic == topic && m.Event == evSystem {
			n++
		}
	}
	return n
}
