package sentinel

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// ValueAgent is a named value inspector (sqlguard, xssguard, pathguard).
type ValueAgent struct {
	Name      string
	Inspector event.Inspector
}

// Responder carries out the responses that belong to other components
// (the auth component's).
type Responder interface {
	// RevokeSessions ends every session of user id of project ref.
	RevokeSessions(ctx context.Context, ref, userID string) error
	// RevokeKey revokes API key id of project ref.
	RevokeKey(ctx context.Context, ref, keyID string) error
}

// Publisher is the kernel bus.
type Publisher interface {
	Publish(ctx context.Context, topic string, data any) error
}

// Options assemble the sentinel.
type Options struct {
	Config Config
	Values []ValueAgent
	Agents []event.Agent
	// Store keeps events, incidents, blocks, allow-lists and modes (the
	// control plane). Required.
	Store Store
	// Responder, when set, carries out revoke_sessions and revoke_key.
	Responder Responder
	// Bus, when set, carries sentinel.incident, sentinel.block and
	// sentinel.unblock events.
	Bus    Publisher
	Logger *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Client delivers webhooks (a client with a 10 s timeout by default).
	Client *http.Client
}

// Sentinel is the "sentinel" component. Its request-path methods
// ([Sentinel.AdmitIP], [Sentinel.Admit], [Sentinel.AdmitAccount],
// [Sentinel.Inspect], [Sentinel.Record]) are safe for concurrent use and
// do no I/O: persistence, alerts and revocations run on the sentinel's
// own goroutines.
type Sentinel struct {
	cfg       Config
	scenarios []Scenario
	values    []ValueAgent
	agents    []event.Agent
	resp      Responder
	bus       Publisher
	log       *slog.Logger
	now       func() time.Time
	store     *store
	alerts    *alerter
	scores    *scoreboard
	stats     counters
	metrics   *sentinelMetrics

	blocks atomic.Pointer[blockSet]
	allow  atomic.Pointer[allowSet]
	modes  atomic.Pointer[modeSet]

	mu      sync.Mutex // writers of blocks, allow, modes; incidents
	open    map[string]*Incident
	history map[string]int // scope + "\x00" + subject → offences
	// lifted: blocks this node lifted (scope + "\x00" + subject → when),
	// so that a stale read of the block's row never brings it back.
	lifted   map[string]time.Time
	cfgAllow AllowConfig

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ kernel.Component     = (*Sentinel)(nil)
	_ kernel.HealthChecker = (*Sentinel)(nil)
)

type counters struct {
	inspected, findings, refusals, blocked, dropped atomic.Int64
}

// New returns the sentinel. The configuration must be valid
// ([Config.Validate]).
func New(o Options) *Sentinel {
	cfg := o.Config.withDefaults()
	s := &Sentinel{
		cfg: cfg, scenarios: cfg.Scenarios, values: o.Values, agents: o.Agents,
		resp: o.Responder, bus: o.Bus, log: o.Logger, now: o.Now,
		scores: newScoreboard(cfg.HalfLife), open: map[string]*Incident{}, history: map[string]int{}, lifted: map[string]time.Time{},
		cfgAllow: cfg.Allow, metrics: newSentinelMetrics(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.store = newStore(o.Store, s.log, &s.stats.dropped)
	s.alerts = newAlerter(cfg.Webhook, o.Client, s.log)
	s.blocks.Store(newBlockSet())
	s.allow.Store(newAllowSet(cfg.Allow))
	modes := map[string]Mode{"": cfg.Mode}
	for a, m := range cfg.Agents {
		modes[a] = m
	}
	s.setModes(modes)
	return s
}

// Name implements [kernel.Component].
func (s *Sentinel) Name() string { return "sentinel" }

// Requires implements [kernel.Component].
func (s *Sentinel) Requires() []string { return []string{"controlplane"} }

// Start reads the scenarios file, loads the blocks, allow-list and modes
// the control plane keeps, and starts the writer, the alerter and the
// sweeper.
func (s *Sentinel) Start(ctx context.Context) error {
	if f := s.cfg.ScenariosFile; f != "" {
		scn, err := readScenarios(f)
		if err != nil {
			return err
		}
		s.scenarios = scn
	}
	if err := s.load(ctx); err != nil {
		return fmt.Errorf("loading the sentinel's state: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(4)
	go func() { defer s.wg.Done(); s.store.run(rctx) }()
	go func() { defer s.wg.Done(); s.store.src.Follow(rctx, channel, s.load, s.changed) }()
	go func() { defer s.wg.Done(); s.alerts.run(rctx) }()
	go func() { defer s.wg.Done(); s.sweep(rctx) }()
	return nil
}

// Stop ends the goroutines once the writer has flushed. Idempotent.
func (s *Sentinel) Stop(context.Context) error {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
		s.cancel = nil
	}
	return nil
}

// Health reports the writer's backlog: events dropped mean the control
// plane cannot keep up.
func (s *Sentinel) Health(context.Context) error {
	return s.store.health()
}

// readScenarios reads a TOML file of [[scenario]] tables.
func readScenarios(path string) ([]Scenario, error) {
	var f struct {
		Scenario []Scenario `toml:"scenario"`
	}
	if _, err := kernel.Load(&f, kernel.LoadOptions{File: path}); err != nil {
		return nil, fmt.Errorf("reading sentinel scenarios: %w", err)
	}
	for _, sc := range f.Scenario {
		if err := sc.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return Config{Scenarios: f.Scenario}.withDefaults().Scenarios, nil
}

// modeSet is the modes in force, resolved for each agent in the order of
// s.agents and s.values, so that the request path reads them by index.
type modeSet struct {
	set    map[string]Mode // as configured and set: agent → mode, "" the sentinel's
	agents []Mode
	values []Mode
}

// setModes puts set in force. Callers serialise (New, load, SetMode under mu).
func (s *Sentinel) setModes(set map[string]Mode) {
	ms := &modeSet{set: set}
	resolve := func(name string) Mode {
		if set[""] == ModeOff {
			return ModeOff
		}
		if m := set[name]; m != "" {
			return m
		}
		return set[""]
	}
	for _, a := range s.agents {
		ms.agents = append(ms.agents, resolve(a.Name()))
	}
	for _, v := range s.values {
		ms.values = append(ms.values, resolve(v.Name))
	}
	s.modes.Store(ms)
}

// mode is agent's mode ("" for the sentinel's own).
func (s *Sentinel) mode(agent string) Mode {
	set := s.modes.Load().set
	if set[""] == ModeOff {
		return ModeOff
	}
	if m := set[agent]; m != "" {
		return m
	}
	return set[""]
}

// AdmitIP refuses a blocked address (or network) before any other work.
func (s *Sentinel) AdmitIP(ip netip.Addr) *httpx.Refusal {
	bs := s.blocks.Load()
	if bs.len() == 0 {
		return nil
	}
	if b := bs.ip(ip.Unmap(), s.now()); b != nil {
		return s.refuse(b)
	}
	return nil
}

// Admit refuses a principal whose key, user or session is blocked on
// project ref. The gate calls it for every decision. A user under a
// step-up block is admitted with a token of assurance level aal2 (signed
// in with MFA since).
func (s *Sentinel) Admit(ref, keyID, userID, session, aal string) error {
	bs := s.blocks.Load()
	if bs.others == 0 {
		return nil
	}
	now := s.now()
	for _, c := range [...]struct{ scope, id string }{{ScopeKey, keyID}, {ScopeUser, userID}, {ScopeSession, session}} {
		if b := bs.find(c.scope, ref, c.id, now); b != nil && !(b.StepUp && aal == "aal2") {
			return s.refuse(b)
		}
	}
	return nil
}

// AdmitAccount refuses sign-in attempts naming a blocked account (an email
// or phone) of project ref: auth calls it before checking a password.
func (s *Sentinel) AdmitAccount(ref, account string) error {
	bs := s.blocks.Load()
	if bs.others == 0 || account == "" {
		return nil
	}
	if b := bs.find(ScopeAccount, ref, strings.ToLower(account), s.now()); b != nil {
		return s.refuse(b)
	}
	return nil
}

// refuse counts and makes the refusal of a request by block b.
func (s *Sentinel) refuse(b *Block) *httpx.Refusal {
	s.stats.refusals.Add(1)
	s.metrics.refusals.WithLabelValues(b.Scope).Inc()
	return &httpx.Refusal{Reason: b.Reason, Scope: b.Scope, Until: b.Until}
}

// Record gives an answered request's event to the behaviour agents. The
// sentinel's own refusals are not fed back: they never make new blocks.
func (s *Sentinel) Record(e *event.Event) {
	if e.Code == httpx.CodeSentinel {
		return
	}
	modes := s.modes.Load().agents
	for i, a := range s.agents {
		m := modes[i]
		if m == ModeOff {
			continue
		}
		for _, f := range a.Observe(e) {
			s.observe(f, e, m == ModeShadow, "")
		}
	}
}

// scenarioFor reports whether a finding of label is refused on the spot.
func (s *Sentinel) refuses(label string) bool {
	for _, sc := range s.scenarios {
		if sc.Refuse && slices.Contains(sc.Labels, label) {
			return true
		}
	}
	return false
}
