package apiwatch

import (
	"fmt"
	"math"

	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/window"
)

// Name is the agent's name in its findings.
const Name = "apiwatch"

// The labels of APIWatch's findings.
const (
	LabelScanning  = "scanning"
	LabelFlood     = "flood"
	LabelOddMethod = "odd_method"
	LabelBadAgent  = "bad_agent"
)

// The error codes that say a request named something that does not exist.
const (
	codeNoRelation = "PGRST205"
	codeNoColumn   = "PGRST204"
	sqlNoRelation  = "42P01"
	sqlNoColumn    = "42703"
	floodAlpha     = 0.1  // the weight of a new busy interval in the flood baseline
	floodDevFloor  = 0.25 // in log units: a perfectly steady client still varies by ~25%
)

// Agent watches requests for scanning, floods, odd methods and attack
// tools. Make one with [New]; it is safe for concurrent use.
type Agent struct {
	cfg    Config
	actors *window.Table[state]
	agents *agentMatcher
	tally  *window.Tally
}

var _ event.Agent = (*Agent)(nil)

// state is kept per address and per principal; for an anonymous client
// they are the same entry.
type state struct {
	unknown                    window.Distinct // unknown relations and columns
	notFound                   window.Recent
	scanDistinct, scanNotFound window.Latch

	reqs   window.Sum // requests per FloodInterval
	base   window.Robust
	thresh float64 // requests in an interval that are a flood
	flood  window.Latch

	odd              window.Distinct // odd methods
	oddOne, oddMany  window.Latch
	badAgent         window.Latch
	floodInitialized bool
}

func (s *state) Reset() {
	unknown, notFound, odd := s.unknown, s.notFound, s.odd
	unknown.Reset()
	notFound.Reset()
	odd.Reset()
	*s = state{unknown: unknown, notFound: notFound, odd: odd}
}

// New returns an Agent with cfg's thresholds (zero fields take their
// defaults).
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Agent{
		cfg:    cfg,
		actors: window.NewTable[state](cfg.MaxActors, max(cfg.ScanWindow, cfg.Window, cfg.FloodMemory)),
		agents: newAgentMatcher(cfg.BadAgents),
		tally:  window.NewTally(LabelScanning, LabelFlood, LabelOddMethod, LabelBadAgent),
	}, nil
}

// Name returns "apiwatch".
func (a *Agent) Name() string { return Name }

// Counters returns the events observed and the findings reported, by label.
func (a *Agent) Counters() window.Counters { return a.tally.Snapshot() }

// signals is what one request says, before any state is consulted.
type signals struct {
	unknown  uint64 // hash of the unknown name, or 0
	notFound bool
	odd      bool
	tool     string
}

func (a *Agent) signals(e *event.Event) signals {
	var sg signals
	switch {
	case e.Code == codeNoRelation || e.SQLState == sqlNoRelation:
		sg.unknown = window.Hash2(e.Relation, "") | 1
	case e.Code == codeNoColumn || e.SQLState == sqlNoColumn:
		sg.unknown = window.Hash2(e.Relation, e.Column) | 1
	}
	sg.notFound = e.Status == 404
	sg.odd = oddMethod(e.Method)
	sg.tool = a.agents.match(e.UserAgent)
	return sg
}

// oddMethod reports whether m is not one of the methods the APIs serve
// (exactly, in upper case: "get" is a fuzzer's, not a browser's).
func oddMethod(m string) bool {
	switch m {
	case "", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return false
	}
	return true
}

// Observe watches one event; auth events count toward floods only.
func (a *Agent) Observe(e *event.Event) []event.Finding {
	a.tally.Event()
	now := e.Time.UnixNano()
	var sg signals
	if e.Kind == event.KindRequest {
		sg = a.signals(e)
	}
	var out []event.Finding
	p := window.Principal(&e.Actor)
	ipIsPrincipal := p.Scope == window.ScopeIP
	a.actors.Do(p, now, func(s *state) {
		out = a.flood(out, s, now, p.Scope)
		if !ipIsPrincipal {
			out = a.scan(out, s, &sg, now, p.Scope)
			return
		}
		out = a.perIP(out, s, &sg, e, now)
	})
	if !ipIsPrincipal && e.Actor.IP.IsValid() && (sg.unknown != 0 || sg.notFound || sg.odd || sg.tool != "") {
		a.actors.Do(window.IPKey(&e.Actor), now, func(s *state) { out = a.perIP(out, s, &sg, e, now) })
	}
	if len(out) > 0 {
		a.tally.Found(out)
	}
	return out
}

func (a *Agent) finding(label, reason string, score float64, scope string) event.Finding {
	return event.Finding{Agent: Name, Label: label, Reason: reason, Score: score, Scope: scope}
}

// perIP applies what is judged per address: scanning, odd methods, tools.
func (a *Agent) perIP(out []event.Finding, s *state, sg *signals, e *event.Event, now int64) []event.Finding {
	c := &a.cfg
	out = a.scan(out, s, sg, now, window.ScopeIP)
	if sg.odd {
		s.odd.Add(window.Hash(e.Method), now, c.OddMethods)
		n, _ := s.odd.Within(now, c.Window)
		switch {
		case n >= c.OddMethods && s.oddMany.Fire(now, c.Window):
			out = append(out, a.finding(LabelOddMethod, fmt.Sprintf("%d non-standard methods within %v", n, c.Window), 0.9, window.ScopeIP))
		case n < c.OddMethods && s.oddOne.Fire(now, c.Window):
			out = append(out, a.finding(LabelOddMethod, fmt.Sprintf("method %.16q on %s", e.Method, e.API), 0.5, window.ScopeIP))
		}
	}
	if sg.tool != "" && s.badAgent.Fire(now, c.Window) {
		out = append(out, a.finding(LabelBadAgent, fmt.Sprintf("User-Agent of %s", sg.tool), 0.9, window.ScopeIP))
	}
	return out
}

func (a *Agent) scan(out []event.Finding, s *state, sg *signals, now int64, scope string) []event.Finding {
	c := &a.cfg
	if sg.unknown != 0 {
		s.unknown.Add(sg.unknown, now, c.ScanDistinct)
		if n, _ := s.unknown.Within(now, c.ScanWindow); n >= c.ScanDistinct && s.scanDistinct.Fire(now, c.ScanWindow) {
			out = append(out, a.finding(LabelScanning, fmt.Sprintf("%d distinct unknown relations or columns within %v", n, c.ScanWindow), 0.8, scope))
		}
	}
	if sg.notFound {
		s.notFound.Add(now, c.ScanNotFound)
		if n := s.notFound.Within(now, c.ScanWindow); n >= c.ScanNotFound && s.scanNotFound.Fire(now, c.ScanWindow) {
			out = append(out, a.finding(LabelScanning, fmt.Sprintf("%d not-found answers within %v", n, c.ScanWindow), 0.6, scope))
		}
	}
	return out
}

// flood counts the request toward the principal's rate and compares the
// current interval with the principal's usual busy interval.
func (a *Agent) flood(out []event.Finding, s *state, now int64, scope string) []event.Finding {
	c := &a.cfg
	if !s.floodInitialized {
		s.floodInitialized, s.thresh = true, float64(c.FloodUnlearned)
	}
	if done, rolled := s.reqs.Add(now, c.FloodInterval, 1); rolled {
		// A finished busy interval teaches the baseline, clipped at the
		// threshold so that a flood does not teach that floods are usual.
		s.base.Update(math.Log1p(min(done, s.thresh)), floodAlpha, floodDevFloor)
		if s.base.N() >= c.FloodWarmup {
			s.thresh = max(float64(c.FloodMin), math.Expm1(s.base.Loc())*c.FloodFactor)
		}
	}
	cur := s.reqs.Current(now, c.FloodInterval)
	if cur < s.thresh || !s.flood.Fire(now, c.Window) {
		return out
	}
	if s.base.N() < c.FloodWarmup {
		return append(out, a.finding(LabelFlood, fmt.Sprintf("%.0f requests within %v from an actor without history", cur, c.FloodInterval), 0.5, scope))
	}
	return append(out, a.finding(LabelFlood,
		fmt.Sprintf("%.0f requests within %v, usually about %.0f", cur, c.FloodInterval, math.Expm1(s.base.Loc())), 0.8, scope))
}
