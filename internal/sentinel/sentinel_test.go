package sentinel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/secrets"
	"github.com/magflock/mobo/internal/sentinel/event"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// marker is a value agent for the core's tests: it flags values holding
// its marker, 0.7 sure (three findings reach the injection scenario's
// threshold of 2). The real agents have their own packages and tests.
type marker struct{ name, mark, label string }

func (m marker) Inspect(v string) event.Finding {
	if strings.Contains(v, m.mark) {
		return event.Finding{Agent: m.name, Label: m.label, Reason: "marker", Score: 0.7, Scope: ScopeIP}
	}
	return event.Finding{}
}

// counting is a behaviour agent that reports one finding per event whose
// route is its trigger, and counts what it saw.
type counting struct {
	trigger, label, scope string
	seen                  atomic.Int64
}

func (c *counting) Name() string { return "counting" }
func (c *counting) Observe(e *event.Event) []event.Finding {
	c.seen.Add(1)
	if e.Route != c.trigger {
		return nil
	}
	f := event.Finding{Agent: "counting", Label: c.label, Reason: "trigger", Score: 1, Scope: c.scope}
	if e.Auth != nil {
		f.Subject = e.Auth.Account
	}
	return []event.Finding{f}
}

// clock is a controllable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a started sentinel on a fresh control plane.
type rig struct {
	s     *Sentinel
	clock *clock
	agent *counting
	cp    *controlplane.ControlPlane
}

// controlPlane is a started control plane on a fresh database.
func controlPlane(t testing.TB) *controlplane.ControlPlane {
	t.Helper()
	db := pgtest.NewDB(t)
	cp := controlplane.New(pgtest.Server(db.ConnString), controlplane.Options{ExternalDatabase: db.Name, Keys: secrets.NewRandomKeyring()}, slog.New(slog.DiscardHandler))
	if err := cp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	return cp
}

func newRig(t *testing.T, cfg Config, opts ...func(*Options)) *rig {
	t.Helper()
	cp := controlPlane(t)
	c := &clock{t: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)}
	agent := &counting{trigger: "auth:token", label: "brute_force", scope: ScopeAccount}
	o := Options{
		Config: cfg,
		Values: []ValueAgent{{Name: "sqlguard", Inspector: marker{"sqlguard", "' OR 1=1", "sqli"}}},
		Agents: []event.Agent{agent},
		Store:  cp, Now: c.now, Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range opts {
		f(&o)
	}
	s := New(o)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return &rig{s: s, clock: c, agent: agent, cp: cp}
}

// request is a context as the gateway and the gate make it for a request
// from ip on project ref.
func request(ip, ref string) context.Context {
	n := &event.Note{}
	n.Set(func(e *event.Event) {
		e.Actor.IP = netip.MustParseAddr(ip)
		e.Project, e.Route, e.Method = ref, "rest:public.notes", "GET"
	})
	return event.WithNote(context.Background(), n)
}

// flush waits until the writer has written what is queued.
func (r *rig) flush(t *testing.T) {
	t.Helper()
	if err := r.s.store.writeThrough(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
}

func TestInjectionRefusedThenBlocked(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	ctx := request("203.0.113.9", "default")
	if err := r.s.Inspect(ctx, []any{"hello", int64(4), []string{"a", "b"}}); err != nil {
		t.Fatalf("benign values refused: %v", err)
	}
	for i := range 3 {
		if r.s.AdmitIP(netip.MustParseAddr("203.0.113.9")) != nil {
			t.Fatalf("blocked after %d attacks, want 3", i)
		}
		err := r.s.Inspect(ctx, []any{"x", `{"title":"a","body":"' OR 1=1 --"}`})
		var ref *httpx.Refusal
		if !errors.As(err, &ref) || ref.Reason != "sqli" || ref.Scope != "" {
			t.Fatalf("attack %d: got %v, want a refusal of the request", i, err)
		}
	}
	ref := r.s.AdmitIP(netip.MustParseAddr("203.0.113.9"))
	if ref == nil || ref.Scope != ScopeIP || ref.Reason != "injection" {
		t.Fatalf("after 3 attacks AdmitIP = %+v, want an ip block for injection", ref)
	}
	if got := ref.Until.Sub(r.clock.now()); got != 15*time.Minute {
		t.Errorf("first block lasts %s, want 15m", got)
	}
	if r.s.AdmitIP(netip.MustParseAddr("203.0.113.10")) != nil {
		t.Error("a neighbour address is blocked too")
	}
	if got := testutil.ToFloat64(r.s.metrics.findings.WithLabelValues("sqlguard", "sqli", "enforce")); got != 3 {
		t.Errorf("findings metric = %v, want 3", got)
	}
	if got := testutil.ToFloat64(r.s.metrics.refusals.WithLabelValues("request")); got != 3 {
		t.Errorf("refusals metric = %v, want 3", got)
	}
	if got := testutil.ToFloat64(r.s.metrics.blocks.WithLabelValues("injection", "ip")); got != 1 {
		t.Errorf("blocks metric = %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(registry(t, r.s), "mobo_sentinel_active_blocks"); err != nil || n != 1 {
		t.Errorf("active blocks gauge: %d series, %v", n, err)
	}
	r.flush(t)
	incs, err := r.s.Incidents(t.Context(), IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents = %v, %v; want one", incs, err)
	}
	inc, timeline, err := r.s.Incident(t.Context(), incs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Scenario != "injection" || inc.Subject != "203.0.113.9" || inc.Status != "open" {
		t.Errorf("incident = %+v", inc)
	}
	if len(timeline) != 3 || timeline[0].Excerpt != "' OR 1=1 --" || timeline[0].Route != "rest:public.notes" {
		t.Errorf("timeline = %+v, want the 3 findings with their excerpts", timeline)
	}
}

func registry(t *testing.T, s *Sentinel) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(s.Collector()); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestShadowModeRecordsWithoutActing(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Agents: map[string]Mode{"sqlguard": ModeShadow}})
	ctx := request("203.0.113.20", "default")
	for range 5 {
		if err := r.s.Inspect(ctx, []any{"' OR 1=1"}); err != nil {
			t.Fatalf("shadow mode refused: %v", err)
		}
	}
	if r.s.AdmitIP(netip.MustParseAddr("203.0.113.20")) != nil {
		t.Fatal("shadow mode blocked")
	}
	r.flush(t)
	incs, err := r.s.Incidents(t.Context(), IncidentFilter{})
	if err != nil || len(incs) != 1 || !incs[0].Shadow {
		t.Fatalf("incidents = %+v, %v; want one shadow incident", incs, err)
	}
	if st := r.s.Stats(); st.Findings != 5 || st.Refusals != 0 {
		t.Errorf("stats = %+v, want 5 findings and no refusal", st)
	}
}

func TestAllowListedActorIsNeverActedAgainst(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Allow: AllowConfig{IPs: []string{"198.51.100.0/24"}}})
	ctx := request("198.51.100.7", "default")
	for range 5 {
		if err := r.s.Inspect(ctx, []any{"' OR 1=1"}); err != nil {
			t.Fatalf("allow-listed address refused: %v", err)
		}
	}
	if r.s.AdmitIP(netip.MustParseAddr("198.51.100.7")) != nil {
		t.Fatal("allow-listed address blocked")
	}
	// Added at run time, an entry lifts the block at once.
	other := request("192.0.2.50", "default")
	for range 3 {
		_ = r.s.Inspect(other, []any{"' OR 1=1"})
	}
	if r.s.AdmitIP(netip.MustParseAddr("192.0.2.50")) == nil {
		t.Fatal("not blocked")
	}
	if err := r.s.Allow(t.Context(), AllowEntry{Scope: ScopeIP, Subject: "192.0.2.50", Note: "office"}); err != nil {
		t.Fatal(err)
	}
	if r.s.AdmitIP(netip.MustParseAddr("192.0.2.50")) != nil {
		t.Fatal("still blocked after allow-listing")
	}
	if err := r.s.Inspect(other, []any{"' OR 1=1"}); err != nil {
		t.Fatalf("allow-listed at run time, still refused: %v", err)
	}
}

func TestRouteAllowListSkipsInspection(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Allow: AllowConfig{Routes: []string{"rest:public.notes"}}})
	if err := r.s.Inspect(request("203.0.113.30", "default"), []any{"' OR 1=1"}); err != nil {
		t.Fatalf("an allow-listed route's values were inspected: %v", err)
	}
}

func TestRepeatOffencesDoubleTheBlock(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{BlockMax: 40 * time.Minute})
	ip := netip.MustParseAddr("203.0.113.40")
	ctx := request(ip.String(), "default")
	for i, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, 40 * time.Minute} {
		for range 3 {
			_ = r.s.Inspect(ctx, []any{"' OR 1=1"})
		}
		ref := r.s.AdmitIP(ip)
		if ref == nil {
			t.Fatalf("offence %d: not blocked", i+1)
		}
		if got := ref.Until.Sub(r.clock.now()); got != want {
			t.Errorf("offence %d: blocked for %s, want %s", i+1, got, want)
		}
		r.clock.add(want + time.Second)
		if r.s.AdmitIP(ip) != nil {
			t.Fatalf("offence %d: still blocked after it ended", i+1)
		}
	}
}

func TestUnblockAndManualBlock(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	b, err := r.s.BlockManually(ScopeUser, "default/5b7f", "investigating", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.s.Admit("default", "", "5b7f", "", ""); err == nil {
		t.Fatal("a blocked user was admitted")
	}
	if err := r.s.Admit("other", "", "5b7f", "", ""); err != nil {
		t.Fatalf("the user's block reached another project: %v", err)
	}
	if err := r.s.Unblock(t.Context(), b.Scope, b.Subject); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Admit("default", "", "5b7f", "", ""); err != nil {
		t.Fatalf("still refused after unblock: %v", err)
	}
	if err := r.s.Unblock(t.Context(), ScopeIP, "192.0.2.99"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unblocking what is not blocked: %v, want ErrNotFound", err)
	}
	for _, bad := range [][2]string{{"ip", "nope"}, {"user", "no-ref"}, {"planet", "x"}} {
		if _, err := r.s.BlockManually(bad[0], bad[1], "", time.Hour); !errors.Is(err, ErrInvalid) {
			t.Errorf("BlockManually(%q, %q) = %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
}

// TestBlocksSurviveARestart: a new sentinel on the same control plane
// (another node, or this one restarted) enforces the blocks in force and
// remembers offences.
func TestBlocksSurviveARestart(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	if _, err := r.s.BlockManually(ScopeNet, "203.0.113.0/24", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := r.s.SetMode(t.Context(), "sqlguard", ModeShadow); err != nil {
		t.Fatal(err)
	}
	r.flush(t)
	s2 := New(Options{Store: r.cp, Now: r.clock.now, Values: r.s.values})
	if err := s2.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Stop(context.Background()) }()
	if s2.AdmitIP(netip.MustParseAddr("203.0.113.77")) == nil {
		t.Error("the network block was not loaded")
	}
	if m := s2.Modes()["sqlguard"]; m != ModeShadow {
		t.Errorf("sqlguard's mode = %q, want shadow", m)
	}
}

// TestEveryNodeFollows: two sentinels on one control plane (two nodes):
// a block made on one, an unblock, an allow-list entry and a mode apply
// on the other at once.
func TestEveryNodeFollows(t *testing.T) {
	t.Parallel()
	cp := controlPlane(t)
	nodes := make([]*Sentinel, 2)
	for i := range nodes {
		nodes[i] = New(Options{Store: cp, Values: []ValueAgent{{Name: "sqlguard", Inspector: marker{"sqlguard", "' OR 1=1", "sqli"}}}})
		if err := nodes[i].Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = nodes[i].Stop(context.Background()) }()
	}
	a, b := nodes[0], nodes[1]
	ip := netip.MustParseAddr("203.0.113.90")
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("the other node did not follow: %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A block the analyzer makes on one node (written by its writer).
	ctx := request(ip.String(), "default")
	for range 3 {
		_ = a.Inspect(ctx, []any{"' OR 1=1"})
	}
	if a.AdmitIP(ip) == nil {
		t.Fatal("not blocked where the attack was seen")
	}
	eventually("block", func() bool { return b.AdmitIP(ip) != nil })
	if err := b.Unblock(t.Context(), ScopeIP, ip.String()); err != nil {
		t.Fatal(err)
	}
	eventually("unblock", func() bool { return a.AdmitIP(ip) == nil })
	if _, err := a.BlockManually(ScopeKey, "default/k1", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually("manual block", func() bool { return b.Admit("default", "k1", "", "", "") != nil })
	if err := a.SetMode(t.Context(), "sqlguard", ModeShadow); err != nil {
		t.Fatal(err)
	}
	eventually("mode", func() bool { return b.Modes()["sqlguard"] == ModeShadow })
	if err := a.Allow(t.Context(), AllowEntry{Scope: ScopeUser, Subject: "u1"}); err != nil {
		t.Fatal(err)
	}
	eventually("allow-list", func() bool { return b.allow.Load().users["u1"] })
}

func TestOwnRefusalsNeverFeedTheAgents(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	r.s.Record(&event.Event{Time: r.clock.now(), Route: "auth:token", Code: httpx.CodeSentinel})
	if n := r.agent.seen.Load(); n != 0 {
		t.Errorf("the agents saw %d refused requests, want 0", n)
	}
}

func TestAccountScenarioBlocksTheAccount(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{})
	e := &event.Event{
		Time: r.clock.now(), Project: "default", Route: "auth:token", Actor: event.Actor{IP: netip.MustParseAddr("192.0.2.1")},
		Auth: &event.Auth{Action: event.AuthPassword, Account: "Ann@Example.com"},
	}
	r.s.Record(e)
	if err := r.s.AdmitAccount("default", "ann@example.com"); err == nil {
		t.Fatal("the attacked account was not blocked")
	}
	if r.s.AdmitIP(netip.MustParseAddr("192.0.2.1")) != nil {
		t.Error("the address of an account-wide finding was blocked (it may be the owner's)")
	}
	if err := r.s.AdmitAccount("default", "bob@example.com"); err != nil {
		t.Errorf("another account refused: %v", err)
	}
}

func TestStepUpAdmitsMFATokensOnly(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{Scenarios: []Scenario{{Name: "suspicious", Labels: []string{"brute_force"}, Threshold: 0.5, Scope: ScopeUser, Actions: []string{"step_up"}}}})
	r.s.Record(&event.Event{Time: r.clock.now(), Project: "default", Route: "auth:token", Actor: event.Actor{UserID: "u7"}})
	err := r.s.Admit("default", "", "u7", "", "aal1")
	var ref *httpx.Refusal
	if !errors.As(err, &ref) || ref.Scope != ScopeUser {
		t.Fatalf("an aal1 token of the user: %v, want refused", err)
	}
	if err := r.s.Admit("default", "", "u7", "", "aal2"); err != nil {
		t.Errorf("an aal2 token of the user: %v, want admitted", err)
	}
	if bs := r.s.Blocks(); len(bs) != 1 || !bs[0].StepUp {
		t.Errorf("blocks = %+v, want one step-up block", bs)
	}
}

func TestIncidentClosesWhenQuiet(t *testing.T) {
	t.Parallel()
	r := newRig(t, Config{IncidentQuiet: 10 * time.Minute})
	ctx := request("203.0.113.50", "default")
	for range 3 {
		_ = r.s.Inspect(ctx, []any{"' OR 1=1"})
	}
	r.clock.add(11 * time.Minute)
	r.s.sweepOnce(r.clock.now())
	r.flush(t)
	incs, err := r.s.Incidents(t.Context(), IncidentFilter{Status: "closed"})
	if err != nil || len(incs) != 1 || incs[0].Closed.IsZero() {
		t.Fatalf("closed incidents = %+v, %v; want the one", incs, err)
	}
	if st := r.s.Stats(); st.Open != 0 {
		t.Errorf("%d incidents still open", st.Open)
	}
}

func TestWebhookAlertIsSigned(t *testing.T) {
	t.Parallel()
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		got <- req
		bodies <- b
	}))
	defer hook.Close()
	r := newRig(t, Config{Webhook: WebhookConfig{URL: hook.URL, Secret: "s3cret"}})
	ctx := request("203.0.113.60", "default")
	for range 3 {
		_ = r.s.Inspect(ctx, []any{"' OR 1=1"})
	}
	var req *http.Request
	select {
	case req = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery")
	}
	body := <-bodies
	sig := req.Header.Get(HeaderSignature)
	ts, mac, ok := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
	if !ok {
		t.Fatalf("signature %q", sig)
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte(ts + "."))
	m.Write(body)
	if want := hex.EncodeToString(m.Sum(nil)); mac != want {
		t.Errorf("signature %s does not verify", sig)
	}
	var a Alert
	if err := json.Unmarshal(body, &a); err != nil || a.Incident.Scenario != "injection" || a.Label != "sqli" {
		t.Errorf("alert = %+v, %v", a, err)
	}
}

func TestWalkJSONStrings(t *testing.T) {
	t.Parallel()
	var got []string
	walkJSONStrings(`{"a":"x","b":[1,"y",{"c":"z\u003c"}],"d":{"e":null,"f":"w"},"g":true}`, func(s string) bool {
		got = append(got, s)
		return false
	})
	if strings.Join(got, "|") != "x|y|z<|w" {
		t.Errorf("strings = %q, want values only, unescaped", got)
	}
}

func FuzzWalkJSONStrings(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `["x",{"y":"z"}]`, `{"a":"\"}`, `[`, `"`, `{"a":"b\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		n := 0
		walkJSONStrings(doc, func(string) bool { n++; return n > 1000 })
		if isJSONDoc(doc) {
			walkJSONStrings(doc, func(string) bool { return false })
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{Mode: "loud"},
		{Agents: map[string]Mode{"sqlguard": "maybe"}},
		{Scenarios: []Scenario{{Name: "x", Labels: []string{"sqli"}, Threshold: 1, Scope: "planet"}}},
		{Scenarios: []Scenario{{Name: "x", Labels: []string{"sqli"}, Threshold: 1, Actions: []string{"nuke"}}}},
		{Scenarios: []Scenario{{Name: "x", Labels: []string{"sqli"}}}},
		{Allow: AllowConfig{IPs: []string{"not-an-ip"}}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("the zero config: %v", err)
	}
	for _, sc := range DefaultScenarios() {
		if err := sc.validate(); err != nil {
			t.Errorf("default scenario: %v", err)
		}
	}
}
