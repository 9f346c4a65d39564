// Package agenttest checks the sentinel's behaviour agents against
// labelled event sequences: which findings must appear, by which event,
// and that nothing else does.
package agenttest

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// T0 is the time the scripted sequences start at.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Got is a finding and the index of the event (from 1) that produced it.
type Got struct {
	At int
	event.Finding
}

func (g Got) String() string {
	return fmt.Sprintf("#%d %s/%s %q score %.2f (%s)", g.At, g.Label, g.Scope, g.Subject, g.Score, g.Reason)
}

// Want is a finding a sequence must produce: its label and scope (and
// subject, when not "*"), first by event By (counting from 1), Count
// times in all (0 means once).
type Want struct {
	Label, Scope, Subject string
	By                    int
	Count                 int
}

func (w Want) matches(f event.Finding) bool {
	return f.Label == w.Label && f.Scope == w.Scope && (w.Subject == "*" || w.Subject == f.Subject)
}

// Run feeds events to agent in order and returns its findings.
func Run(agent event.Agent, events []*event.Event) []Got {
	var got []Got
	for i, e := range events {
		for _, f := range agent.Observe(e) {
			got = append(got, Got{At: i + 1, Finding: f})
		}
	}
	return got
}

// Check reports, through t, a finding that no Want matches, a Want that no
// finding matches, one that came later than By or a wrong count, and a
// finding with a score out of (0, 1] or without agent or reason.
func Check(t testing.TB, name string, got []Got, wants []Want) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range wants {
		count, first := 0, 0
		for i, g := range got {
			if w.matches(g.Finding) {
				used[i] = true
				count++
				if first == 0 {
					first = g.At
				}
			}
		}
		wantCount := max(w.Count, 1)
		switch {
		case count == 0:
			t.Errorf("%s: no %s/%s finding (subject %q); got %s", name, w.Label, w.Scope, w.Subject, list(got))
		case first > w.By:
			t.Errorf("%s: %s/%s first at event %d, want by %d", name, w.Label, w.Scope, first, w.By)
		case count != wantCount:
			t.Errorf("%s: %d %s/%s findings, want %d; got %s", name, count, w.Label, w.Scope, wantCount, list(got))
		}
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("%s: unexpected finding %s", name, g)
		}
		if g.Score <= 0 || g.Score > 1 || g.Agent == "" || g.Reason == "" {
			t.Errorf("%s: malformed finding %s (agent %q)", name, g, g.Agent)
		}
	}
}

func list(got []Got) string {
	if len(got) == 0 {
		return "none"
	}
	s := make([]string, len(got))
	for i, g := range got {
		s[i] = g.String()
	}
	return strings.Join(s, "; ")
}

// Addr returns the i-th address of a /16 of test addresses (198.18.0.0/15,
// the benchmarking range), so that each i is a different /24 when spread
// is true.
func Addr(i int, spread bool) netip.Addr {
	if spread {
		return netip.MustParseAddr(fmt.Sprintf("198.18.%d.%d", i%256, 1+i/256))
	}
	return netip.MustParseAddr(fmt.Sprintf("198.19.%d.%d", i/250, 1+i%250))
}

// Concurrently feeds each sequence to agent from its own goroutine, all at
// once, and returns each sequence's findings.
func Concurrently(agent event.Agent, seqs [][]*event.Event) [][]Got {
	out := make([][]Got, len(seqs))
	var wg sync.WaitGroup
	for i, seq := range seqs {
		wg.Go(func() { out[i] = Run(agent, seq) })
	}
	wg.Wait()
	return out
}

// Odd feeds agent events with missing or odd fields (no time, no address,
// an auth kind without Auth, negative sizes, a time going backwards) and
// fails t if it panics or reports a malformed finding.
func Odd(t testing.TB, agent event.Agent) {
	t.Helper()
	events := []*event.Event{
		{},
		{Kind: event.KindAuth},
		{Kind: event.KindAuth, Auth: &event.Auth{}},
		{Kind: event.KindAuth, Auth: &event.Auth{Action: event.AuthPassword, Reason: "invalid_credentials"}},
		{Kind: event.KindAuth, Auth: &event.Auth{Action: event.AuthRefresh, Reason: "refresh_token_already_used"}},
		{Kind: event.KindAuth, Auth: &event.Auth{Action: event.AuthMFA, Reason: "mfa_verification_failed"}},
		{Time: T0, Kind: event.KindRequest, Status: 404, Code: "PGRST205", SQLState: "42501", Method: "TRACE", Rows: -5, Bytes: -1, UserAgent: "sqlmap", ClaimedRole: "x", Relation: ".", API: "rest"},
		{Time: T0.Add(-time.Hour), Kind: event.KindRequest, Status: 200, Method: "GET", API: "rest", Rows: 1 << 40, Bytes: 1 << 62},
		{Time: T0, Kind: 99},
	}
	for i, e := range events {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("odd event %d (%+v): panic %v", i, e, r)
				}
			}()
			for _, f := range agent.Observe(e) {
				if f.Score <= 0 || f.Score > 1 || f.Label == "" {
					t.Errorf("odd event %d: malformed finding %+v", i, f)
				}
			}
		}()
	}
}
