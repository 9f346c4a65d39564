package authsentry

import (
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/agenttest"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// BenchmarkObserve measures failed and successful sign-ins of 1024
// accounts from 1024 addresses, in the steady state (every actor's state
// exists), and requests (not auth, the common case).
func BenchmarkObserve(b *testing.B) {
	a, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	events := make([]event.Event, 1024)
	for i := range events {
		events[i] = event.Event{
			Kind: event.KindAuth, Actor: event.Actor{IP: agenttest.Addr(i, true)},
			Auth: &event.Auth{Action: event.AuthPassword, Account: acct(i), OK: i%2 == 0, Reason: "invalid_credentials"},
		}
	}
	b.Run("sign-in", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e := &events[i&1023]
			e.Time = agenttest.T0.Add(time.Duration(i) * time.Millisecond)
			i++
			a.Observe(e)
		}
	})
	b.Run("request", func(b *testing.B) {
		e := &event.Event{Kind: event.KindRequest, Time: agenttest.T0, Status: 200}
		b.ReportAllocs()
		for b.Loop() {
			a.Observe(e)
		}
	})
}
