package apiwatch

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/agenttest"
	"github.com/magflock/mobo/internal/sentinel/event"
)

var (
	anon    = event.Actor{IP: netip.MustParseAddr("203.0.113.66"), KeyID: "anon", Role: "anon"}
	user    = event.Actor{IP: netip.MustParseAddr("198.51.100.23"), KeyID: "anon", UserID: "u-1", Role: "authenticated"}
	service = event.Actor{IP: netip.MustParseAddr("192.0.2.5"), KeyID: "sk_1", Role: "service_role"}
)

const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"

type seq struct {
	at     time.Duration
	events []*event.Event
}

func (s *seq) wait(d time.Duration) *seq { s.at += d; return s }

func (s *seq) add(e event.Event) *seq {
	e.Time = agenttest.T0.Add(s.at)
	e.Kind = event.KindRequest
	if e.Method == "" {
		e.Method = "GET"
	}
	if e.API == "" {
		e.API = "rest"
	}
	if e.UserAgent == "" {
		e.UserAgent = chrome
	}
	s.events = append(s.events, &e)
	return s
}

// ok adds a successful read.
func (s *seq) ok(a event.Actor) *seq {
	return s.add(event.Event{Actor: a, Route: "rest:public.todos", Relation: "public.todos", Status: 200, Rows: 10})
}

// rate adds n successful reads spread evenly over d.
func (s *seq) rate(a event.Actor, n int, d time.Duration) *seq {
	for range n {
		s.ok(a).wait(d / time.Duration(n))
	}
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
		{"relation enumeration from an address", func(s *seq) {
			for i := range 25 {
				rel := fmt.Sprintf("public.%s", []string{"users", "admin", "accounts", "orders", "payments"}[i%5]+fmt.Sprint(i))
				s.add(event.Event{Actor: anon, Route: "unknown", Relation: rel, Status: 404, Code: "PGRST205"}).wait(time.Second)
			}
		}, []agenttest.Want{{Label: LabelScanning, Scope: "ip", By: 15}}},
		{"column enumeration by a signed-in user", func(s *seq) {
			for i := range 20 {
				s.add(event.Event{Actor: user, Route: "rest:public.profiles", Relation: "public.profiles", Column: fmt.Sprint("c", i), Status: 400, Code: "PGRST204"}).wait(time.Second)
			}
		}, []agenttest.Want{{Label: LabelScanning, Scope: "user", By: 15}, {Label: LabelScanning, Scope: "ip", By: 15}}},
		{"a path scanner", func(s *seq) {
			for range 200 {
				s.add(event.Event{Actor: anon, Route: "unknown", Status: 404}).wait(100 * time.Millisecond)
			}
		}, []agenttest.Want{{Label: LabelScanning, Scope: "ip", By: 150}}},
		{"a flood far past the learned rate", func(s *seq) {
			s.rate(anon, 600, 2*time.Minute) // 5/s
			s.rate(anon, 2000, 20*time.Second)
		}, []agenttest.Want{{Label: LabelFlood, Scope: "ip", By: 600 + 500}}},
		{"a flood from a service key", func(s *seq) {
			s.rate(service, 1200, 2*time.Minute) // 10/s
			s.rate(service, 3000, 10*time.Second)
		}, []agenttest.Want{{Label: LabelFlood, Scope: "key", By: 1200 + 1050}}}, // 10× the learned ~100 per interval
		{"a flood from a newcomer", func(s *seq) {
			s.rate(anon, 1500, 5*time.Second)
		}, []agenttest.Want{{Label: LabelFlood, Scope: "ip", By: 1000}}},
		{"odd methods", func(s *seq) {
			for _, m := range []string{"TRACE", "PROPFIND", "DEBUG", "TRACK", "TRACE"} {
				s.add(event.Event{Actor: anon, Method: m, Route: "unknown", Status: 405}).wait(time.Second)
			}
		}, []agenttest.Want{{Label: LabelOddMethod, Scope: "ip", By: 3, Count: 2}}},
		{"sqlmap", func(s *seq) {
			for range 50 {
				s.add(event.Event{Actor: anon, Route: "rest:public.todos", Status: 400, UserAgent: "sqlmap/1.8.2#stable (https://sqlmap.org)"})
			}
		}, []agenttest.Want{{Label: LabelBadAgent, Scope: "ip", By: 1}}},
		{"nmap as a signed-in user: judged per address", func(s *seq) {
			s.add(event.Event{Actor: user, Route: "rest:public.todos", Status: 200, UserAgent: "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"})
		}, []agenttest.Want{{Label: LabelBadAgent, Scope: "ip", By: 1}}},
		{"ffuf's phrase", func(s *seq) {
			s.add(event.Event{Actor: anon, Route: "unknown", Status: 404, UserAgent: "Fuzz Faster U Fool v2.1.0-dev"})
		}, []agenttest.Want{{Label: LabelBadAgent, Scope: "ip", By: 1}}},

		// Benign traffic.
		{"a busy but steady client", func(s *seq) {
			for i := range 60 { // 10 minutes at 20-40/s
				s.rate(service, 200+(i%5)*50, 10*time.Second)
			}
		}, nil},
		{"page loads after idling", func(s *seq) {
			for range 5 {
				for range 10 {
					s.ok(user).wait(time.Minute)
				}
				s.rate(user, 120, 3*time.Second)
			}
		}, nil},
		{"a 404 or two and a stale schema", func(s *seq) {
			s.add(event.Event{Actor: anon, Route: "unknown", Status: 404})
			s.add(event.Event{Actor: anon, Route: "storage:avatars", API: "storage", Status: 404})
			for range 100 {
				s.add(event.Event{Actor: anon, Route: "unknown", Relation: "public.old_table", Status: 404, Code: "PGRST205"}).wait(3 * time.Second)
				s.add(event.Event{Actor: anon, Route: "rest:public.todos", Relation: "public.todos", Column: "archived", Status: 400, Code: "PGRST204"})
			}
		}, nil},
		{"a page of missing avatars", func(s *seq) {
			for range 3 {
				for range 40 {
					s.add(event.Event{Actor: user, API: "storage", Route: "storage:avatars", Status: 404})
				}
				s.wait(time.Minute)
			}
		}, nil},
		{"ordinary clients and methods", func(s *seq) {
			for _, ua := range []string{
				"curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1", "Go-http-client/2.0", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
				"axios/1.6.2", "okhttp/4.12.0", "supabase-js/2.39.0", "postgrest-js/1.9.0", "Dart/3.2 (dart:io)", chrome,
				"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
				"unmapped-hydrant-client/1.0", "DirBusterless", "Wget/1.21", "PostmanRuntime/7.36.0", "insomnia/8.5.1", "",
			} {
				for _, m := range []string{"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"} {
					s.add(event.Event{Actor: anon, Method: m, Route: "rest:public.todos", Status: 200, UserAgent: ua}).wait(100 * time.Millisecond)
				}
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

// TestInterleaved: 50 steady clients, one enumerating; only it is reported.
func TestInterleaved(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	s := &seq{}
	for i := range 3000 {
		c := event.Actor{IP: agenttest.Addr(i%50, true), KeyID: "anon", Role: "anon"}
		s.ok(c)
		if i%100 == 0 {
			s.add(event.Event{Actor: c, Route: "unknown", Status: 404})
		}
		if i%40 == 0 {
			s.add(event.Event{Actor: anon, Route: "unknown", Relation: fmt.Sprint("public.t", i), Status: 404, Code: "PGRST205"})
		}
		s.wait(50 * time.Millisecond)
	}
	agenttest.Check(t, "interleaved", agenttest.Run(a, s.events), []agenttest.Want{{Label: LabelScanning, Scope: "ip", By: len(s.events)}})
}

func TestConcurrentObserve(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	var seqs [][]*event.Event
	for g := range 6 {
		s := &seq{}
		actor := event.Actor{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(g)})}
		for i := range 300 {
			if g%2 == 0 {
				s.add(event.Event{Actor: actor, Route: "unknown", Relation: fmt.Sprint("public.t", i), Status: 404, Code: "PGRST205"})
			} else {
				s.ok(actor)
			}
			s.wait(100 * time.Millisecond)
		}
		seqs = append(seqs, s.events)
	}
	for i, got := range agenttest.Concurrently(a, seqs) {
		var want []agenttest.Want
		if i%2 == 0 { // 15 distinct names, then 150 404s
			want = []agenttest.Want{{Label: LabelScanning, Scope: "ip", By: 15, Count: 2}}
		}
		agenttest.Check(t, fmt.Sprint("sequence ", i), got, want)
	}
	if c := a.Counters(); c.Events != 1800 || c.Findings[LabelScanning] != 6 {
		t.Errorf("Counters = %+v, want 1800 events, 6 scanning findings", c)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	agenttest.Validate(t, ErrInvalidConfig, []agenttest.ConfigCase{
		{Name: "zero", Cfg: Config{}, OK: true},
		{Name: "set", Cfg: Config{FloodFactor: 5, FloodInterval: time.Minute, BadAgents: []string{"evilbot"}}, OK: true},
		{Name: "factor under 1", Cfg: Config{FloodFactor: 0.5}, OK: false},
		{Name: "interval under a second", Cfg: Config{FloodInterval: time.Millisecond}, OK: false},
		{Name: "negative", Cfg: Config{ScanDistinct: -1}, OK: false},
		{Name: "empty agent", Cfg: Config{BadAgents: []string{" "}}, OK: false},
	})
}

func BenchmarkObserve(b *testing.B) {
	a := agenttest.New(b, New, Config{})
	events := make([]event.Event, 1024)
	for i := range events {
		events[i] = event.Event{
			Kind: event.KindRequest, API: "rest", Method: "GET", Route: "rest:public.todos", Relation: "public.todos", Status: 200, UserAgent: chrome,
			Actor: event.Actor{IP: agenttest.Addr(i, true), KeyID: "anon", Role: "anon"},
		}
		if i%2 == 0 {
			events[i].Actor.UserID, events[i].Actor.Role = fmt.Sprint("u", i), "authenticated"
		}
		if i%64 == 0 {
			events[i].Status = 404
		}
	}
	agenttest.BenchObserve(b, a, events)
}

func BenchmarkAgentMatch(b *testing.B) {
	m := newAgentMatcher(DefaultBadAgents)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.match(chrome)
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.scan(chrome)
		}
	})
}

// BenchmarkObserveParallel: every goroutine plays its own clients, as
// request goroutines do.
func BenchmarkObserveParallel(b *testing.B) {
	a := agenttest.New(b, New, Config{})
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1))
		events := make([]event.Event, 256)
		for i := range events {
			events[i] = event.Event{
				Kind: event.KindRequest, API: "rest", Method: "GET", Route: "rest:public.todos", Status: 200, UserAgent: chrome,
				Actor: event.Actor{IP: agenttest.Addr(g*256+i, true), KeyID: "anon", Role: "anon"},
			}
		}
		i := 0
		for pb.Next() {
			e := &events[i&255]
			e.Time = agenttest.T0.Add(time.Duration(i) * time.Millisecond)
			i++
			a.Observe(e)
		}
	})
}

func TestOddEvents(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	agenttest.Odd(t, a)
}
