package realtime

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/tenant"
)

// closedWith waits for topic's error system message and phx_close, and
// returns the message's text.
func (c *client) closedWith(topic string) string {
	c.t.Helper()
	var p struct{ Status, Message string }
	c.next("error system message on "+topic, func(m msg) bool {
		return m.Topic == topic && m.Event == evSystem && json.Unmarshal(m.Payload, &p) == nil && p.Status == "error"
	})
	c.next("phx_close on "+topic, func(m msg) bool { return m.Topic == topic && m.Event == evClose })
	return p.Message
}

// TestTokensCheckedAgain: after the project's secret is rotated, channels
// joined with tokens signed by the old secret are told and closed, by the
// periodic check and at once by the change hook; channels joined again
// with a new token keep working.
func TestTokensCheckedAgain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		interval time.Duration
		hook     bool
	}{
		{"periodic check", 100 * time.Millisecond, false},
		{"change hook", time.Hour, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := boot(t, Config{TokenCheckInterval: c.interval})
			e.exec(`create table public.notes (id int primary key, body text); alter publication supabase_realtime add table public.notes;
				grant select on public.notes to authenticated`)
			cl := e.dial(e.token("anon", ""), "2.0.0")
			pgc := map[string]any{"postgres_changes": []any{map[string]any{"event": "*", "schema": "public", "table": "notes"}}}
			cl.join("realtime:notes", pgc, e.token("authenticated", "u1"))
			cl.join("realtime:room", map[string]any{}, "")

			if _, err := e.tenants.RotateKeys(t.Context(), tenant.DefaultRef); err != nil {
				t.Fatal(err)
			}
			if c.hook {
				if err := e.rt.ProjectChanged(t.Context(), tenant.DefaultRef); err != nil {
					t.Fatal(err)
				}
			}
			for _, topic := range []string{"realtime:notes", "realtime:room"} {
				if msg := cl.closedWith(topic); !strings.Contains(msg, "Invalid JWT") {
					t.Errorf("%s closed with %q", topic, msg)
				}
			}
			// A new token of the new secret joins and gets changes again.
			cl2 := e.dial(e.token("anon", ""), "2.0.0")
			cl2.join("realtime:notes", pgc, e.token("authenticated", "u1"))
			e.exec(`insert into public.notes values (1, 'after the rotation')`)
			if ch := cl2.nextChange("realtime:notes"); ch.Data.Record["body"] != "after the rotation" {
				t.Errorf("change after the rotation: %+v", ch.Data)
			}
		})
	}
}
