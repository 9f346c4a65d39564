package sentinel

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// BenchmarkRequestPath is the sentinel's work for one benign REST request
// with the standard agents: the gateway's address check, the gate's
// principal check, the inspection of a filter value and of a small JSON
// body, and the recording of the answered request; from 1000 clients
// taking turns, and from a new client at each request (the worst case:
// every agent makes room for a new actor).
func BenchmarkRequestPath(b *testing.B) {
	for _, clients := range []int{1000, 1 << 30} {
		name := "clients=1000"
		if clients > 1000 {
			name = "clients=new-each-request"
		}
		b.Run(name, func(b *testing.B) { benchRequestPath(b, clients) })
	}
}

func benchRequestPath(b *testing.B, clients int) {
	o, err := Standard(Config{}, Options{Store: controlPlane(b)})
	if err != nil {
		b.Fatal(err)
	}
	s := New(o)
	ip := netip.MustParseAddr("203.0.113.7")
	body := `{"title":"Buy milk","done":false,"tags":["home","errands"]}`
	start := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n := &event.Note{}
		ctx := event.WithNote(context.Background(), n)
		if s.AdmitIP(ip) != nil {
			b.Fatal("refused")
		}
		if err := s.Admit("default", "", "", "", ""); err != nil {
			b.Fatal(err)
		}
		n.Set(func(e *event.Event) { e.Actor.Role, e.Route, e.Relation = "anon", "rest:public.todos", "public.todos" })
		if err := s.Inspect(ctx, []any{strconv.Itoa(i % 10000), body}); err != nil {
			b.Fatal(err)
		}
		e := n.Event()
		e.Time, e.Project, e.API, e.Method, e.Status, e.Rows, e.Bytes = start.Add(time.Duration(i)*time.Millisecond), "default", "rest", "GET", 200, 1, 80
		c := i % clients
		e.Actor.IP = netip.AddrFrom4([4]byte{10, byte(c >> 16), byte(c >> 8), byte(c)})
		s.Record(&e)
	}
}
