package privguard

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/agenttest"
	"github.com/magflock/mobo/internal/sentinel/event"
)

var (
	attacker = event.Actor{IP: netip.MustParseAddr("203.0.113.66"), KeyID: "anon", Role: "anon"}
	user     = event.Actor{IP: netip.MustParseAddr("198.51.100.23"), KeyID: "anon", UserID: "u-1", Role: "authenticated"}
)

type seq struct {
	at     time.Duration
	events []*event.Event
}

func (s *seq) wait(d time.Duration) *seq { s.at += d; return s }

// req adds a REST request on relation rel answered with status and sqlstate.
func (s *seq) req(actor event.Actor, rel string, status int, sqlstate string) *seq {
	s.events = append(s.events, &event.Event{
		Time: agenttest.T0.Add(s.at), Kind: event.KindRequest, API: "rest", Method: "GET",
		Route: "rest:" + rel, Relation: rel, Actor: actor, Status: status, SQLState: sqlstate,
	})
	return s
}

func TestObserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(s *seq)
		want  []agenttest.Want
	}{
		// Detections.
		{"a burst of 42501 on one relation", func(s *seq) {
			for range 40 {
				s.req(user, "public.salaries", 401, "42501").wait(2 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "user", By: 30}}},
		{"refusals across many relations", func(s *seq) {
			for i := range 12 {
				s.req(attacker, fmt.Sprintf("public.t%d", i), 403, "42501").wait(time.Second)
			}
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: 8}}},
		{"one request on auth.users", func(s *seq) {
			s.req(attacker, "auth.users", 404, "")
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: 1}}},
		{"walking the system schemas", func(s *seq) {
			for _, rel := range []string{"auth.users", `"pg_catalog"."pg_authid"`, "information_schema.tables", "mobo.keys", "pg_toast.x"} {
				s.req(attacker, rel, 404, "").wait(time.Second)
			}
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: 3, Count: 2}}}, // 0.7 at the first, 1.0 at the third
		{"a forged token claiming service_role", func(s *seq) {
			s.events = append(s.events, &event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "rest", Status: 401, Actor: attacker, ClaimedRole: "service_role"})
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: 1}}},
		{"a service key caught probing", func(s *seq) {
			k := event.Actor{IP: netip.MustParseAddr("192.0.2.5"), KeyID: "sk_1", Role: "reporting"}
			for i := range 8 {
				s.req(k, fmt.Sprintf("private.t%d", i), 403, "42501")
			}
		}, []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "key", By: 8}}},

		// Benign traffic.
		{"a dashboard that gets a few 403s", func(s *seq) {
			for i := range 200 {
				rel := fmt.Sprintf("public.widget%d", i%6)
				status, state := 200, ""
				if i%20 == 0 {
					rel, status, state = "public.admin_stats", 403, "42501"
				}
				s.req(user, rel, status, state).wait(time.Second)
			}
		}, nil},
		{"an expired token polling one relation", func(s *seq) {
			for range 300 {
				s.req(user, "public.messages", 401, "").wait(time.Second)
			}
		}, nil},
		{"a form that keeps violating a row policy", func(s *seq) {
			for range 10 {
				s.req(user, "public.posts", 403, "42501").wait(20 * time.Second)
			}
		}, nil},
		{"the admin API and storage name their own schemas", func(s *seq) {
			s.events = append(s.events,
				&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "admin", Relation: "mobo.projects", Status: 200, Actor: user},
				&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "storage", Relation: "storage.objects", Status: 200, Actor: user})
		}, nil},
		{"GraphQL through the REST API", func(s *seq) {
			for range 20 {
				s.events = append(s.events, &event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "rest", Method: "POST", Route: "rpc:graphql_public.graphql", Relation: "graphql_public.graphql", Status: 200, Actor: user})
			}
		}, nil},
		{"ordinary reads of public and unqualified relations", func(s *seq) {
			for i := range 100 {
				s.req(attacker, "public.todos", 200, "").req(attacker, "todos", 200, "").req(attacker, fmt.Sprintf("authors%d", i), 200, "")
			}
		}, nil},
		{"slow refusals, one a minute", func(s *seq) {
			for i := range 60 {
				s.req(user, fmt.Sprintf("public.t%d", i%3), 403, "42501").wait(time.Minute)
			}
		}, nil},
	}
	for _, tt := range tests {
		agenttest.Scenario(t, tt.name, New, Config{}, func() []*event.Event {
			s := &seq{}
			tt.build(s)
			return s.events
		}, tt.want)
	}
}

func TestClaimedRoleScores(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	for i, tt := range []struct {
		role  string
		score float64
	}{{"service_role", 1}, {"supabase_admin", 1}, {"editor", 0.8}} {
		actor := event.Actor{IP: agenttest.Addr(i, true)}
		fs := a.Observe(&event.Event{Time: agenttest.T0, Status: 401, Actor: actor, ClaimedRole: tt.role})
		if len(fs) != 1 || fs[0].Score != tt.score {
			t.Errorf("claimed %q: %+v, want one finding scoring %v", tt.role, fs, tt.score)
		}
		// The same actor again within the window: no new finding.
		if fs := a.Observe(&event.Event{Time: agenttest.T0.Add(time.Minute), Status: 401, Actor: actor, ClaimedRole: tt.role}); len(fs) != 0 {
			t.Errorf("claimed %q again: %+v, want nothing", tt.role, fs)
		}
	}
}

func TestSchemaOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"auth.users": "auth", `"auth"."users"`: "auth", `"a.b".c`: "a.b", "users": "", `"users"`: "", "": "", " pg_catalog.pg_class": "pg_catalog",
	} {
		if got := schemaOf(in); got != want {
			t.Errorf("schemaOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInterleaved: many users browsing and one prober; only the prober
// is reported.
func TestInterleaved(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	var events []*event.Event
	for i := range 2000 {
		at := agenttest.T0.Add(time.Duration(i) * 100 * time.Millisecond)
		u := event.Actor{IP: agenttest.Addr(i%100, true), KeyID: "anon", UserID: fmt.Sprint("u", i%100), Role: "authenticated"}
		status, state := 200, ""
		if i%97 == 0 {
			status, state = 403, "42501"
		}
		events = append(events, &event.Event{Time: at, Kind: event.KindRequest, API: "rest", Relation: "public.todos", Status: status, SQLState: state, Actor: u})
		if i%50 == 0 {
			events = append(events, &event.Event{Time: at, Kind: event.KindRequest, API: "rest", Relation: fmt.Sprintf("public.secret%d", i), Status: 403, SQLState: "42501", Actor: attacker})
		}
	}
	agenttest.Check(t, "interleaved", agenttest.Run(a, events), []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: len(events), Count: 2}}) // spread, then burst
}

func TestConcurrentObserve(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	var seqs [][]*event.Event
	for g := range 6 {
		s := &seq{}
		actor := event.Actor{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(g)})}
		for i := range 200 {
			if g%2 == 0 {
				s.req(actor, fmt.Sprintf("public.t%d", i), 403, "42501")
			} else {
				s.req(actor, "public.todos", 200, "")
			}
		}
		seqs = append(seqs, s.events)
	}
	for i, got := range agenttest.Concurrently(a, seqs) {
		var want []agenttest.Want
		if i%2 == 0 { // a spread (by 8) then a burst (by 30)
			want = []agenttest.Want{{Label: LabelPrivilegeProbing, Scope: "ip", By: 8, Count: 2}}
		}
		agenttest.Check(t, fmt.Sprint("sequence ", i), got, want)
	}
	if c := a.Counters(); c.Events != 1200 || c.Findings[LabelPrivilegeProbing] != 6 {
		t.Errorf("Counters = %+v, want 1200 events, 6 findings", c)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	agenttest.Validate(t, ErrInvalidConfig, []agenttest.ConfigCase{
		{Name: "zero", Cfg: Config{}, OK: true},
		{Name: "set", Cfg: Config{Window: time.Minute, Denials: 5, ProtectedSchemas: []string{"internal"}}, OK: true},
		{Name: "negative window", Cfg: Config{Window: -1}, OK: false},
		{Name: "negative count", Cfg: Config{DeniedRelations: -2}, OK: false},
		{Name: "empty schema", Cfg: Config{ProtectedSchemas: []string{""}}, OK: false},
	})
}

func BenchmarkObserve(b *testing.B) {
	a := agenttest.New(b, New, Config{})
	events := make([]event.Event, 1024)
	for i := range events {
		events[i] = event.Event{
			Kind: event.KindRequest, API: "rest", Relation: "public.todos", Status: 200,
			Actor: event.Actor{IP: agenttest.Addr(i, true), KeyID: "anon", Role: "anon"},
		}
		if i%16 == 0 {
			events[i].Status, events[i].SQLState = 403, "42501"
		}
	}
	agenttest.BenchObserve(b, a, events)
}

func FuzzSchemaOf(f *testing.F) {
	for _, s := range []string{"auth.users", `"auth"."users"`, `"a"`, `"`, `"".x`, "x.", ".x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		s := schemaOf(rel)
		if !strings.Contains(rel, s) {
			t.Errorf("schemaOf(%q) = %q, not part of the name", rel, s)
		}
		if s != "" && !strings.Contains(rel, ".") {
			t.Errorf("schemaOf(%q) = %q for an unqualified name", rel, s)
		}
	})
}

func TestOddEvents(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	agenttest.Odd(t, a)
}
