package authsentry

import (
	"testing"

	"github.com/magflock/mobo/internal/sentinel/agenttest"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// BenchmarkObserve measures failed and successful sign-ins of 1024
// accounts from 1024 addresses, in the steady state (every actor's state
// exists), and requests (not auth, the common case).
func BenchmarkObserve(b *testing.B) {
	a := agenttest.New(b, New, Config{})
	events := make([]event.Event, 1024)
	for i := range events {
		events[i] = event.Event{
			Kind: event.KindAuth, Actor: event.Actor{IP: agenttest.Addr(i, true)},
			Auth: &event.Auth{Action: event.AuthPassword, Account: acct(i), OK: i%2 == 0, Reason: "invalid_credentials"},
		}
	}
	b.Run("sign-in", func(b *testing.B) {
		agenttest.BenchObserve(b, a, events)
	})
	b.Run("request", func(b *testing.B) {
		e := &event.Event{Kind: event.KindRequest, Time: agenttest.T0, Status: 200}
		b.ReportAllocs()
		for b.Loop() {
			a.Observe(e)
		}
	})
}
