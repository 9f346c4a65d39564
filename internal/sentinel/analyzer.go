package sentinel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// Incident is one attack: the findings of one scenario against one actor,
// from the first that made it fire until it has been quiet for
// IncidentQuiet.
type Incident struct {
	ID       string    `json:"id"`
	Scenario string    `json:"scenario"`
	Labels   []string  `json:"labels"`
	Scope    string    `json:"scope"`
	Subject  string    `json:"subject"`
	Project  string    `json:"project"`
	Opened   time.Time `json:"opened_at"`
	Last     time.Time `json:"last_at"`
	Closed   time.Time `json:"closed_at,omitzero"`
	Findings int       `json:"findings"`
	// Actions are the responses taken ("block", "alert", …); a shadow
	// incident records what would have been taken.
	Actions []string `json:"actions"`
	Shadow  bool     `json:"shadow"`
	// Allowed: the actor is allow-listed, so nothing was done.
	Allowed bool   `json:"allowed"`
	Status  string `json:"status"` // "open" or "closed"
}

// observe records finding f of event e and runs the scenarios it matches:
// each adds f's score to the actor's, and fires when it reaches its
// threshold. value is the excerpt of the value that carried f, if any.
func (s *Sentinel) observe(f event.Finding, e *event.Event, shadow bool, value string) {
	s.stats.findings.Add(1)
	mode := string(ModeEnforce)
	if shadow {
		mode = string(ModeShadow)
	}
	s.metrics.findings.WithLabelValues(f.Agent, f.Label, mode).Inc()
	s.store.recordFinding(f, e, shadow, value)
	now := e.Time
	for i, sc := range s.scenarios {
		if !slices.Contains(sc.Labels, f.Label) {
			continue
		}
		scope := sc.Scope
		if scope == "" {
			scope = f.Scope
		}
		subject := subjectOf(scope, f, e)
		if subject == "" {
			continue
		}
		k := scoreKey{scenario: i, actor: scope + "\x00" + subject}
		if s.touch(k, f, now) {
			continue // an open incident already answered this actor
		}
		if s.scores.add(k, f.Score, now) >= sc.Threshold {
			s.scores.reset(k)
			s.fire(sc, k, scope, subject, f, e, shadow)
		}
	}
}

// touch counts f in the scenario's open incident against the actor, if
// there is one and its block still holds; it reports whether there was.
func (s *Sentinel) touch(k scoreKey, f event.Finding, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc := s.open[k.actor+"\x00"+s.scenarios[k.scenario].Name]
	if inc == nil {
		return false
	}
	inc.Last = now
	inc.Findings++
	if !slices.Contains(inc.Labels, f.Label) {
		inc.Labels = append(inc.Labels, f.Label)
	}
	held := slices.Contains(inc.Actions, "block") && s.blocks.Load().lookup(inc.Scope, inc.Subject, now) != nil
	return held || inc.Shadow || inc.Allowed
}

// subjectOf is the actor of e at scope, as blocks name it: an address, a
// network, or "<ref>/<id>".
func subjectOf(scope string, f event.Finding, e *event.Event) string {
	if f.Scope == scope && f.Subject != "" && scope != ScopeIP && scope != ScopeNet {
		return e.Project + "/" + strings.ToLower(f.Subject)
	}
	var id string
	switch scope {
	case ScopeIP:
		if e.Actor.IP.IsValid() {
			return e.Actor.IP.Unmap().String()
		}
		return ""
	case ScopeNet:
		if e.Actor.IP.IsValid() {
			return netOf(e.Actor.IP.Unmap()).String()
		}
		return ""
	case ScopeKey:
		id = e.Actor.KeyID
	case ScopeUser:
		id = e.Actor.UserID
	case ScopeSession:
		id = e.Actor.Session
	case ScopeAccount:
		if e.Auth != nil {
			id = strings.ToLower(e.Auth.Account)
		}
	}
	if id == "" {
		return ""
	}
	return e.Project + "/" + id
}

// fire opens an incident for scenario sc against the actor and responds,
// unless the finding's agent is in shadow mode or the actor is
// allow-listed.
func (s *Sentinel) fire(sc Scenario, k scoreKey, scope, subject string, f event.Finding, e *event.Event, shadow bool) {
	now := e.Time
	inc := &Incident{
		ID: newID(), Scenario: sc.Name, Labels: []string{f.Label}, Scope: scope, Subject: subject,
		Project: e.Project, Opened: now, Last: now, Findings: 1, Status: "open", Shadow: shadow,
		Allowed: s.allowed(e),
		Actions: slices.Clone(sc.Actions),
	}
	s.mu.Lock()
	s.open[k.actor+"\x00"+sc.Name] = inc
	s.mu.Unlock()
	s.log.Warn("sentinel incident", "incident", inc.ID, "scenario", sc.Name, "scope", scope, "subject", subject,
		"label", f.Label, "reason", f.Reason, "shadow", shadow, "allowed", inc.Allowed)
	if !shadow && !inc.Allowed {
		s.respond(sc, inc, e, f)
	}
	s.store.saveIncident(inc)
	s.publish("sentinel.incident", inc)
}

// respond carries out the scenario's actions against the incident's actor.
func (s *Sentinel) respond(sc Scenario, inc *Incident, e *event.Event, f event.Finding) {
	for _, a := range sc.Actions {
		switch a {
		case "block":
			s.block(Block{Scope: inc.Scope, Subject: inc.Subject, Reason: sc.Name, Incident: inc.ID, Created: inc.Opened}, sc.Block)
		case "step_up":
			if sub := subjectOf(ScopeUser, event.Finding{}, e); sub != "" {
				s.block(Block{Scope: ScopeUser, Subject: sub, Reason: sc.Name, Incident: inc.ID, Created: inc.Opened, StepUp: true}, sc.Block)
			}
		case "revoke_sessions":
			if s.resp != nil && e.Actor.UserID != "" {
				s.async(func(ctx context.Context) error { return s.resp.RevokeSessions(ctx, e.Project, e.Actor.UserID) }, "revoking sessions")
			}
		case "revoke_key":
			if s.resp != nil && e.Actor.KeyID != "" {
				s.async(func(ctx context.Context) error { return s.resp.RevokeKey(ctx, e.Project, e.Actor.KeyID) }, "revoking a key")
			}
		case "alert":
			s.alerts.send(Alert{Incident: *inc, Label: f.Label, Reason: f.Reason})
		}
	}
}

// async runs a response on its own goroutine, bounded in time.
func (s *Sentinel) async(fn func(ctx context.Context) error, what string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.log.Error("sentinel response failed", "response", what, "err", err)
		}
	}()
}

// block puts b in force for base, doubled for each earlier offence of
// its subject, up to BlockMax.
func (s *Sentinel) block(b Block, base time.Duration) Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	hk := b.Scope + "\x00" + b.Subject
	s.history[hk]++
	b.Offences = s.history[hk]
	d := base
	for i := 1; i < b.Offences && d < s.cfg.BlockMax; i++ {
		d *= 2
	}
	b.Until = b.Created.Add(min(d, s.cfg.BlockMax))
	bs := s.blocks.Load().clone()
	bs.put(&b)
	s.blocks.Store(bs)
	s.stats.blocked.Add(1)
	scenario := b.Reason
	if b.Manual {
		scenario = "manual"
	}
	s.metrics.blocks.WithLabelValues(scenario, b.Scope).Inc()
	s.store.saveBlock(b)
	s.publish("sentinel.block", b)
	return b
}

func (s *Sentinel) publish(topic string, data any) {
	if s.bus != nil {
		_ = s.bus.Publish(context.Background(), topic, data) // best effort: the store has it
	}
}

// allowed reports whether the event's actor is allow-listed, by any of
// its address, key or user: then the sentinel acts against none of them.
func (s *Sentinel) allowed(e *event.Event) bool {
	a := s.allow.Load()
	return e.Actor.IP.IsValid() && a.ip(e.Actor.IP.Unmap()) ||
		e.Actor.KeyID != "" && a.keys[e.Actor.KeyID] ||
		e.Actor.UserID != "" && a.users[e.Actor.UserID]
}

// sweep closes quiet incidents, forgets expired blocks and faded scores,
// and prunes old records, once a minute.
func (s *Sentinel) sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepOnce(s.now())
		}
	}
}

func (s *Sentinel) sweepOnce(now time.Time) {
	s.scores.sweep(now)
	s.mu.Lock()
	for k, inc := range s.open {
		if now.Sub(inc.Last) >= s.cfg.IncidentQuiet {
			inc.Status, inc.Closed = "closed", now
			s.store.saveIncident(inc)
			delete(s.open, k)
		}
	}
	for k, t := range s.lifted {
		if now.Sub(t) > time.Hour {
			delete(s.lifted, k)
		}
	}
	bs := s.blocks.Load()
	var expired []*Block
	for _, b := range bs.all() {
		if !b.active(now) {
			expired = append(expired, b)
		}
	}
	if len(expired) > 0 {
		c := bs.clone()
		for _, b := range expired {
			c.remove(b.Scope, b.Subject)
		}
		s.blocks.Store(c)
	}
	s.mu.Unlock()
	s.store.prune(now.Add(-s.cfg.Retention))
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return hex.EncodeToString(b[:])
}
