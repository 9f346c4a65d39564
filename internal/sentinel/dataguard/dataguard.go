package dataguard

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/window"
)

// Name is the agent's name in its findings.
const Name = "dataguard"

// LabelExfiltration is the label of DataGuard's findings.
const LabelExfiltration = "exfiltration"

const (
	alpha     = 0.05 // the weight of a new sample once warm: a memory of ~20-40 samples
	sizeFloor = 0.25 // the least deviation assumed, in log units (~28%)
	// A read or total is news only when it is also over twice the
	// actor's peak, which halves every week.
	peakMargin   = math.Ln2
	peakHalfLife = int64(7 * 24 * time.Hour)
)

// Agent watches reads for exfiltration. Make one with [New]; it is safe
// for concurrent use.
type Agent struct {
	cfg       Config
	logFactor float64
	routes    *window.Table[routeState]
	actors    *window.Table[actorState]
	tally     *window.Tally
}

var _ event.Agent = (*Agent)(nil)

// routeState is an actor's baseline on one route.
type routeState struct {
	rows, bytes         window.Robust
	peakRows, peakBytes window.Peak
}

// actorState is an actor's totals and their baseline.
type actorState struct {
	rows, bytes            window.Sum
	rowsBase, bytesBase    window.Robust
	peakRows, peakBytes    window.Peak // of the totals
	request, total, capped window.Latch
}

// New returns an Agent with cfg's thresholds (zero fields take their
// defaults).
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.APIs = slices.Clone(cfg.APIs) // the default is an exported var
	return &Agent{
		cfg:       cfg,
		logFactor: math.Log(cfg.Factor),
		routes:    window.NewTable[routeState](4*cfg.MaxActors, cfg.Memory),
		actors:    window.NewTable[actorState](cfg.MaxActors, cfg.Memory),
		tally:     window.NewTally(LabelExfiltration),
	}, nil
}

// Name returns "dataguard".
func (a *Agent) Name() string { return Name }

// Counters returns the events observed and the findings reported.
func (a *Agent) Counters() window.Counters { return a.tally.Snapshot() }

// isRead reports whether e is a successful read of one of the judged APIs.
func (a *Agent) isRead(e *event.Event) bool {
	if e.Kind != event.KindRequest || e.Status < 200 || e.Status > 299 || e.Rows <= 0 && e.Bytes <= 0 {
		return false
	}
	switch e.Method {
	case "GET", "HEAD":
	case "POST": // a function call or a GraphQL query reads; an insert does not
		if !strings.HasPrefix(e.Route, "rpc:") && e.API != "graphql" {
			return false
		}
	default:
		return false
	}
	return slices.Contains(a.cfg.APIs, e.API)
}

// Observe watches one event.
func (a *Agent) Observe(e *event.Event) []event.Finding {
	a.tally.Event()
	if !a.isRead(e) {
		return nil
	}
	c := &a.cfg
	now := e.Time.UnixNano()
	p := window.Principal(&e.Actor)
	rows, bytes := float64(max(e.Rows, 0)), float64(max(e.Bytes, 0))
	lr, lb := math.Log1p(rows), math.Log1p(bytes)

	// The read against the actor's baseline on this route.
	var unusual string
	rk := p
	rk.Sub = e.Route
	a.routes.Do(rk, now, func(s *routeState) {
		if s.rows.N() >= c.Warmup {
			switch {
			case e.Rows >= c.MinRows && a.anomalous(&s.rows, &s.peakRows, lr, now):
				unusual = fmt.Sprintf("%d rows in one read of %s, usually about %.0f", e.Rows, e.Route, math.Expm1(s.rows.Loc()))
			case e.Bytes >= c.MinBytes && a.anomalous(&s.bytes, &s.peakBytes, lb, now):
				unusual = fmt.Sprintf("%d bytes in one read of %s, usually about %.0f", e.Bytes, e.Route, math.Expm1(s.bytes.Loc()))
			}
		}
		s.rows.Update(lr, alpha, sizeFloor)
		s.bytes.Update(lb, alpha, sizeFloor)
		s.peakRows.Update(lr, now, peakHalfLife)
		s.peakBytes.Update(lb, now, peakHalfLife)
	})

	var out []event.Finding
	a.actors.Do(p, now, func(s *actorState) {
		if unusual != "" && s.request.Fire(now, c.TotalWindow) {
			out = append(out, a.finding(unusual, 0.8, p.Scope))
		}
		if done, rolled := s.rows.Add(now, c.TotalWindow, rows); rolled {
			x := math.Log1p(min(done, float64(c.CapRows)))
			s.rowsBase.Update(x, alpha*2, sizeFloor)
			s.peakRows.Update(x, now, peakHalfLife)
		}
		if done, rolled := s.bytes.Add(now, c.TotalWindow, bytes); rolled {
			x := math.Log1p(min(done, float64(c.CapBytes)))
			s.bytesBase.Update(x, alpha*2, sizeFloor)
			s.peakBytes.Update(x, now, peakHalfLife)
		}
		tr, tb := s.rows.Value(now, c.TotalWindow), s.bytes.Value(now, c.TotalWindow)
		switch {
		case tr >= float64(c.CapRows) || tb >= float64(c.CapBytes):
			if s.capped.Fire(now, c.TotalWindow) {
				out = append(out, a.finding(fmt.Sprintf("%.0f rows, %.0f bytes read within %v, over the cap", tr, tb, c.TotalWindow), 0.9, p.Scope))
			}
		case s.rowsBase.N() >= c.TotalWarmup && tr >= float64(c.TotalMinRows) && a.anomalous(&s.rowsBase, &s.peakRows, math.Log1p(tr), now),
			s.bytesBase.N() >= c.TotalWarmup && tb >= float64(c.TotalMinBytes) && a.anomalous(&s.bytesBase, &s.peakBytes, math.Log1p(tb), now):
			if s.total.Fire(now, c.TotalWindow) {
				out = append(out, a.finding(fmt.Sprintf("%.0f rows, %.0f bytes read within %v, usually about %.0f rows", tr, tb, c.TotalWindow, math.Expm1(s.rowsBase.Loc())), 0.7, p.Scope))
			}
		}
	})
	if len(out) > 0 {
		a.tally.Found(out)
	}
	return out
}

// anomalous reports whether x (in log units) is Factor times and
// Deviations deviations above baseline r, and twice over the peak p.
func (a *Agent) anomalous(r *window.Robust, p *window.Peak, x float64, now int64) bool {
	return x-r.Loc() >= a.logFactor && r.Z(x, sizeFloor) >= a.cfg.Deviations && x-p.Value(now, peakHalfLife) >= peakMargin
}

func (a *Agent) finding(reason string, score float64, scope string) event.Finding {
	return event.Finding{Agent: Name, Label: LabelExfiltration, Reason: reason, Score: score, Scope: scope}
}
