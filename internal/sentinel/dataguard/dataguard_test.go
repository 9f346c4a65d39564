package dataguard

import (
	"fmt"
	"net/netip"
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

type seq struct {
	at     time.Duration
	events []*event.Event
}

func (s *seq) wait(d time.Duration) *seq { s.at += d; return s }

// read adds a successful read of route returning rows (about 200 bytes each).
func (s *seq) read(a event.Actor, route string, rows int64) *seq {
	s.events = append(s.events, &event.Event{
		Time: agenttest.T0.Add(s.at), Kind: event.KindRequest, API: "rest", Method: "GET",
		Route: route, Actor: a, Status: 200, Rows: rows, Bytes: 200*rows + 2,
	})
	return s
}

// habit adds n reads of route, rows each with some jitter, every gap.
func (s *seq) habit(a event.Actor, route string, n int, rows int64, gap time.Duration) *seq {
	for i := range n {
		s.read(a, route, rows+int64(i%5)-2).wait(gap)
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
		{"one huge read by a user", func(s *seq) {
			s.habit(user, "rest:public.orders", 40, 20, 30*time.Second)
			s.read(user, "rest:public.orders", 50_000)
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "user", By: 41}}},
		{"a service key reading far more than usual", func(s *seq) {
			s.habit(service, "rest:public.events", 30, 500, time.Minute)
			s.read(service, "rest:public.events", 20_000).read(service, "rest:public.events", 20_000)
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "key", By: 31}}},
		{"paginated exfiltration: many normal pages", func(s *seq) {
			for range 5 { // five ten-minute windows of 5 pages of 20 rows
				s.habit(user, "rest:public.customers", 5, 20, 2*time.Minute)
			}
			s.habit(user, "rest:public.customers", 400, 20, 500*time.Millisecond)
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "user", By: 25 + 110}}},
		{"a newcomer draining a table", func(s *seq) {
			for range 10 {
				s.read(anon, "rest:public.customers", 30_000).wait(5 * time.Second)
			}
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "ip", By: 4}}},
		{"a newcomer's single enormous read", func(s *seq) {
			s.read(anon, "rest:public.customers", 500_000)
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "ip", By: 1}}},

		// Benign traffic.
		{"a normal app paging through 5 pages", func(s *seq) {
			s.habit(user, "rest:public.products", 5, 100, 3*time.Second)
		}, nil},
		{"an app whose pages vary a lot", func(s *seq) {
			for i := range 300 {
				s.read(user, "rest:public.feed", []int64{1, 5, 20, 50, 200, 8, 0}[i%7]).wait(20 * time.Second)
			}
		}, nil},
		{"a daily export of similar size", func(s *seq) {
			for range 5 {
				s.habit(service, "rest:public.ledger", 25, 40, time.Minute)
				s.read(service, "rest:public.ledger", 5_000).wait(24 * time.Hour)
			}
		}, []agenttest.Want{{Label: LabelExfiltration, Scope: "key", By: 26}}}, // the first export is news; the later ones are not
		{"writes and failures are not reads", func(s *seq) {
			for range 50 {
				s.events = append(s.events,
					&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "rest", Method: "DELETE", Route: "rest:public.t", Actor: anon, Status: 200, Rows: 90_000},
					&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "rest", Method: "POST", Route: "rest:public.t", Actor: anon, Status: 201, Rows: 90_000},
					&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "rest", Method: "GET", Route: "rest:public.t", Actor: anon, Status: 500, Rows: 90_000},
					&event.Event{Time: agenttest.T0, Kind: event.KindRequest, API: "storage", Method: "GET", Route: "storage:videos", Actor: anon, Status: 200, Bytes: 900 << 20})
			}
		}, nil},
		{"a busy steady reader", func(s *seq) {
			s.habit(service, "rest:public.metrics", 3000, 100, time.Second) // 6000 rows a minute, steadily, for 50 minutes
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

// TestInterleaved: 100 users reading their usual pages; one of them
// starts dumping a table; only that one is reported.
func TestInterleaved(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	s := &seq{}
	for i := range 6000 {
		u := event.Actor{IP: agenttest.Addr(i%100, true), KeyID: "anon", UserID: fmt.Sprint("u", i%100), Role: "authenticated"}
		rows := int64(10 + i%100)
		if i%100 == 42 && i > 4000 {
			rows = 20_000
		}
		s.read(u, "rest:public.items", rows).wait(200 * time.Millisecond)
	}
	got := agenttest.Run(a, s.events)
	agenttest.Check(t, "interleaved", got, []agenttest.Want{{Label: LabelExfiltration, Scope: "user", By: 4100, Count: 2}}) // the read, then the cap
}

func TestConcurrentObserve(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	var seqs [][]*event.Event
	for g := range 6 {
		s := &seq{}
		actor := event.Actor{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(g)})}
		for range 200 {
			rows := int64(20)
			if g%2 == 0 {
				rows = 2_000
			}
			s.read(actor, "rest:public.t", rows).wait(time.Second)
		}
		seqs = append(seqs, s.events)
	}
	for i, got := range agenttest.Concurrently(a, seqs) {
		var want []agenttest.Want
		if i%2 == 0 {
			want = []agenttest.Want{{Label: LabelExfiltration, Scope: "ip", By: 50}}
		}
		agenttest.Check(t, fmt.Sprint("sequence ", i), got, want)
	}
	if c := a.Counters(); c.Events != 1200 || c.Findings[LabelExfiltration] != 3 {
		t.Errorf("Counters = %+v, want 1200 events, 3 findings", c)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	agenttest.Validate(t, ErrInvalidConfig, []agenttest.ConfigCase{
		{Name: "zero", Cfg: Config{}, OK: true},
		{Name: "set", Cfg: Config{Warmup: 5, Factor: 3, CapRows: 10, APIs: []string{"rest"}}, OK: true},
		{Name: "factor under 1", Cfg: Config{Factor: 0.9}, OK: false},
		{Name: "negative", Cfg: Config{MinRows: -1}, OK: false},
		{Name: "short window", Cfg: Config{TotalWindow: time.Millisecond}, OK: false},
		{Name: "empty api", Cfg: Config{APIs: []string{""}}, OK: false},
	})
}

func BenchmarkObserve(b *testing.B) {
	a := agenttest.New(b, New, Config{})
	events := make([]event.Event, 1024)
	for i := range events {
		events[i] = event.Event{
			Kind: event.KindRequest, API: "rest", Method: "GET", Route: fmt.Sprint("rest:public.t", i%4), Status: 200,
			Rows: int64(10 + i%20), Bytes: int64(2000 + i), Actor: event.Actor{IP: agenttest.Addr(i, true), KeyID: "anon", UserID: fmt.Sprint("u", i%256), Role: "authenticated"},
		}
	}
	agenttest.BenchObserve(b, a, events)
}

func TestOddEvents(t *testing.T) {
	t.Parallel()
	a := agenttest.New(t, New, Config{})
	agenttest.Odd(t, a)
}
