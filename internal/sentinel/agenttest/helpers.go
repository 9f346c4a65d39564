package agenttest

import (
	"errors"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// New makes an agent with newAgent(cfg) and fails t if that errs:
// agenttest.New(t, apiwatch.New, apiwatch.Config{}).
func New[C any, A event.Agent](t testing.TB, newAgent func(C) (A, error), cfg C) A {
	t.Helper()
	a, err := newAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ConfigCase is a configuration and whether Validate must accept it.
type ConfigCase struct {
	Name string
	Cfg  interface{ Validate() error }
	OK   bool
}

// Validate checks each case's Validate in a parallel subtest: nil when
// OK, otherwise an error wrapping invalid.
func Validate(t *testing.T, invalid error, cases []ConfigCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			t.Parallel()
			err := tt.Cfg.Validate()
			if (err == nil) != tt.OK || err != nil && !errors.Is(err, invalid) {
				t.Errorf("Validate = %v, want ok=%v wrapping %v", err, tt.OK, invalid)
			}
		})
	}
}

// BenchObserve feeds agent the events round robin, each stamped a
// millisecond after the one before from [T0], so that windows turn over
// as in steady traffic. len(events) must be a power of two.
func BenchObserve(b *testing.B, agent event.Agent, events []event.Event) {
	b.Helper()
	mask := len(events) - 1
	if len(events) == 0 || len(events)&mask != 0 {
		b.Fatalf("BenchObserve: %d events, want a power of two", len(events))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := &events[i&mask]
		e.Time = T0.Add(time.Duration(i) * time.Millisecond)
		i++
		agent.Observe(e)
	}
}

// Scenario checks, in a parallel subtest called name, the findings a
// fresh agent (newAgent(cfg)) makes of the events built by build against
// want.
func Scenario[C any, A event.Agent](t *testing.T, name string, newAgent func(C) (A, error), cfg C, build func() []*event.Event, want []Want) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		Check(t, name, Run(New(t, newAgent, cfg), build()), want)
	})
}
