package slo

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflock/mobo/internal/kernel"
)

// Publisher is the kernel bus.
type Publisher interface {
	Publish(ctx context.Context, topic string, data any) error
}

// Options assemble the engine.
type Options struct {
	// Config must be valid ([Config.Validate]).
	Config Config
	// Gatherer is a metrics registry holding the gateway's HTTP metrics
	// (the platform's, or better one of their own: each reading runs
	// every collector of the registry). Required.
	Gatherer prometheus.Gatherer
	// Store keeps the history, silences, alerts' states and samples (the
	// control plane). Required.
	Store Store
	// Bus, when set, carries [TopicAlert] events.
	Bus    Publisher
	Logger *slog.Logger
	// Now is the clock (time.Now by default): every window, timer and
	// timestamp of the engine is read from it.
	Now func() time.Time
	// Client delivers webhooks (a client with a 10 s timeout by default).
	Client *http.Client
	// Mailer sends email (an [SMTPMailer] of [slo.smtp] by default).
	Mailer Mailer
}

// Engine is the "slo" component.
type Engine struct {
	cfg      Config
	objs     []*objective
	windows  []time.Duration // the distinct windows of the alert pairs, and 1h
	severity []string        // the alerts' severities, in configuration order
	gather   prometheus.Gatherer
	store    *store
	bus      Publisher
	log      *slog.Logger
	now      func() time.Time
	notifier *notifier

	coarseSpan time.Duration

	evalMu sync.Mutex // one evaluation at a time: readings must be in order
	rd     *reader

	mu        sync.Mutex // the state below
	alerts    map[string]*Alert
	order     []string // alert ids, in configuration order
	groups    map[string]*group
	silences  map[string]*Silence
	status    []ObjectiveStatus
	lastPrune time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ kernel.Component     = (*Engine)(nil)
	_ kernel.HealthChecker = (*Engine)(nil)
)

type objective struct {
	Objective
	acc  Counts // cumulative since the record began
	hist *history
}

// group is the alerts of one receiver with the same grouping labels.
type group struct {
	key, receiver string
	labels        map[string]string
	firing        map[string]bool // member alerts firing and not silenced
	resolved      []string        // notified alerts resolved since the last notification
	next          time.Time       // next flush
	lastNotified  time.Time
	lastSet       map[string]bool // the firing alerts of the last notification
}

const (
	// fineSpan is how far back every reading is kept: the short windows
	// and the page's long windows are read at the interval's resolution.
	fineSpan = 6 * time.Hour
	// coarseStep is the resolution of older samples (the ticket's long
	// windows, the budget's): at most 5 minutes off a 1-day window.
	coarseStep = 5 * time.Minute
	// exhaustionWindow is the window whose burn rate predicts the budget's
	// exhaustion.
	exhaustionWindow = time.Hour
)

// New returns the engine.
func New(o Options) *Engine {
	cfg := o.Config.withDefaults()
	e := &Engine{
		cfg: cfg, gather: o.Gatherer, bus: o.Bus, log: o.Logger, now: o.Now, rd: newReader(),
		alerts: map[string]*Alert{}, groups: map[string]*group{}, silences: map[string]*Silence{},
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.store = newStore(o.Store, e.log)
	longest := exhaustionWindow
	ws := map[time.Duration]bool{exhaustionWindow: true}
	for _, a := range cfg.Alerts {
		ws[a.LongWindow], ws[a.ShortWindow] = true, true
		longest = max(longest, a.LongWindow)
		if !slices.Contains(e.severity, a.Severity) {
			e.severity = append(e.severity, a.Severity)
		}
	}
	e.windows = slices.Sorted(maps.Keys(ws))
	e.coarseSpan = longest
	for _, ob := range cfg.Objectives {
		e.coarseSpan = max(e.coarseSpan, ob.Window)
	}
	step := max(coarseStep, cfg.Interval)
	fine := min(fineSpan, longest)
	for _, ob := range cfg.Objectives {
		e.objs = append(e.objs, &objective{
			Objective: ob,
			hist:      newHistory(int(fine/cfg.Interval)+2, int(e.coarseSpan/step)+2, int64(step)),
		})
		for _, sev := range e.severity {
			a := &Alert{
				ID: ob.Name + ":" + sev, Objective: ob.Name, API: ob.API, Project: ob.Project, Kind: ob.Kind,
				Severity: sev, Target: ob.Target, State: StateInactive,
			}
			e.alerts[a.ID] = a
			e.order = append(e.order, a.ID)
		}
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	mailer := o.Mailer
	if mailer == nil {
		mailer = SMTPMailer{Config: cfg.SMTP}
	}
	recv := map[string]Receiver{}
	for _, r := range cfg.Receivers {
		recv[r.Name] = r
	}
	e.notifier = &notifier{receivers: recv, client: client, mailer: mailer, log: e.log, ch: make(chan Notification, 256), done: e.delivered}
	return e
}

// Name implements [kernel.Component].
func (e *Engine) Name() string { return "slo" }

// Requires implements [kernel.Component].
func (e *Engine) Requires() []string { return []string{"controlplane"} }

// Start loads the record (alerts' states, silences, samples) and starts
// the evaluation loop, the writer and the notifier.
func (e *Engine) Start(ctx context.Context) error {
	if e.gather == nil {
		return fmt.Errorf("the slo engine has no metrics to read")
	}
	if err := e.load(ctx); err != nil {
		return fmt.Errorf("loading the slo record: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	e.wg.Add(3)
	go func() { defer e.wg.Done(); e.store.run(rctx) }()
	go func() { defer e.wg.Done(); e.notifier.run(rctx) }()
	go func() { defer e.wg.Done(); e.loop(rctx) }()
	return nil
}

// Stop ends the goroutines once the writer has flushed (with each
// objective's latest sample, so that a restart loses none of the budget's
// counts). Idempotent.
func (e *Engine) Stop(context.Context) error {
	if e.cancel != nil {
		e.mu.Lock()
		for _, o := range e.objs {
			l, ok := o.hist.fine.last()
			if c, _ := o.hist.coarse.last(); ok && c.t != l.t {
				e.store.saveSample(o.Name, l)
			}
		}
		e.mu.Unlock()
		e.cancel()
		e.wg.Wait()
		e.cancel = nil
	}
	return nil
}

// Health reports whether the record can be written.
func (e *Engine) Health(context.Context) error { return e.store.health() }

func (e *Engine) loop(ctx context.Context) {
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("slo evaluation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// effects are what an evaluation does outside the lock.
type effects struct {
	events        []AlertEvent
	notifications []Notification
}

// Evaluate reads the metrics once and brings the objectives, alerts,
// groups and escalations up to date at the clock's time. The loop calls
// it every interval; tests call it after moving their clock.
func (e *Engine) Evaluate(ctx context.Context) error {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	mfs, err := e.gather.Gather()
	if err != nil {
		// skipped whole: in a partial reading, series would seem to
		// vanish, and count whole when they come back
		return fmt.Errorf("reading the metrics: %w", err)
	}
	deltas := e.rd.read(mfs)
	var fx effects

	e.mu.Lock()
	now := e.now()
	t := now.UnixNano()
	status := make([]ObjectiveStatus, 0, len(e.objs))
	for _, o := range e.objs {
		for i := range deltas {
			o.count(&deltas[i], &o.acc)
		}
		s := sample{t: t, Counts: o.acc}
		if o.hist.add(s) {
			e.store.saveSample(o.Name, s)
		}
		st := e.objectiveStatus(o)
		status = append(status, st)
		e.evaluateAlerts(o, st, now, &fx)
	}
	e.status = status
	e.silence(now)
	e.route(now, &fx)
	e.escalate(now, &fx)
	if now.Sub(e.lastPrune) >= time.Hour {
		e.lastPrune = now
		e.store.prune(now.Add(-e.cfg.Retention), now.Add(-e.coarseSpan-time.Hour))
	}
	e.mu.Unlock()

	for _, n := range fx.notifications {
		if !e.notifier.send(n) {
			e.delivered(n, fmt.Errorf("the notification queue is full"))
		}
	}
	if e.bus != nil {
		for _, ev := range fx.events {
			if err := e.bus.Publish(ctx, TopicAlert, ev); err != nil {
				e.log.Warn("publishing an slo alert", "alert", ev.Alert.ID, "err", err)
			}
		}
	}
	return nil
}

// ObjectiveStatus is an objective with its current numbers.
type ObjectiveStatus struct {
	Name      string  `json:"name"`
	API       string  `json:"api"`
	Project   string  `json:"project"`
	Kind      string  `json:"kind"`
	Threshold string  `json:"threshold,omitempty"`
	Target    float64 `json:"target"`
	Window    string  `json:"window"`
	// SLI, Counts and BudgetRemaining are over the window (or what of it
	// the record covers: Covered).
	SLI             float64 `json:"sli"`
	Counts          Counts  `json:"counts"`
	Covered         string  `json:"covered"`
	BudgetRemaining float64 `json:"budget_remaining"`
	// ExhaustsIn is how long the budget left lasts at the last hour's burn
	// rate ("" when nothing burns, "0s" when spent).
	ExhaustsIn string `json:"exhausts_in,omitempty"`
	// BurnRates are per alert window.
	BurnRates []WindowStatus `json:"burn_rates"`
}

// WindowStatus is an objective over one window.
type WindowStatus struct {
	Window   string  `json:"window"`
	SLI      float64 `json:"sli"`
	BurnRate float64 `json:"burn_rate"`
	Counts   Counts  `json:"counts"`
}

func (e *Engine) objectiveStatus(o *objective) ObjectiveStatus {
	c, covered := o.hist.window(int64(o.Window))
	st := ObjectiveStatus{
		Name: o.Name, API: o.API, Project: o.Project, Kind: o.Kind, Target: o.Target, Window: fmtDuration(o.Window),
		SLI: c.SLI(), Counts: c, Covered: fmtDuration(time.Duration(covered)), BudgetRemaining: c.BudgetRemaining(o.Target),
	}
	if o.Kind == KindLatency {
		st.Threshold = o.Threshold.String()
	}
	for _, w := range e.windows {
		wc, _ := o.hist.window(int64(w))
		st.BurnRates = append(st.BurnRates, WindowStatus{Window: fmtDuration(w), SLI: wc.SLI(), BurnRate: wc.BurnRate(o.Target), Counts: wc})
		if w == exhaustionWindow {
			if d, ok := timeToExhaustion(st.BudgetRemaining, wc.BurnRate(o.Target), o.Window); ok {
				st.ExhaustsIn = fmtDuration(d.Round(time.Second))
			}
		}
	}
	return st
}

func (st *ObjectiveStatus) window(w time.Duration) WindowStatus {
	name := fmtDuration(w)
	for _, b := range st.BurnRates {
		if b.Window == name {
			return b
		}
	}
	return WindowStatus{}
}

// evaluateAlerts moves o's alerts through their states.
func (e *Engine) evaluateAlerts(o *objective, st ObjectiveStatus, now time.Time, fx *effects) {
	for _, sev := range e.severity {
		a := e.alerts[o.Name+":"+sev]
		burning, reason := false, ""
		var hold time.Duration
		rates := map[string]float64{}
		for _, p := range e.cfg.Alerts {
			if p.Severity != sev {
				continue
			}
			long, short := st.window(p.LongWindow), st.window(p.ShortWindow)
			rates[long.Window], rates[short.Window] = long.BurnRate, short.BurnRate
			hold = max(hold, p.For)
			if !burning && long.BurnRate > p.BurnRate && short.BurnRate > p.BurnRate && short.Counts.Total >= float64(e.cfg.MinRequests) {
				burning = true
				reason = fmt.Sprintf("burn rate %.3g over %s and %.3g over %s, above %g×", long.BurnRate, long.Window, short.BurnRate, short.Window, p.BurnRate)
			}
		}
		a.BurnRates = rates
		from := a.State
		switch a.State {
		case StateInactive:
			if !burning {
				continue
			}
			*a = Alert{
				ID: a.ID, Objective: a.Objective, API: a.API, Project: a.Project, Kind: a.Kind, Severity: a.Severity,
				Target: a.Target, BurnRates: rates, ActiveSince: now, State: StatePending, Reason: reason,
			}
			if hold == 0 {
				a.State, a.FiredAt = StateFiring, now
			}
		case StatePending:
			switch {
			case !burning:
				a.State = StateInactive
			case now.Sub(a.ActiveSince) >= hold:
				a.State, a.FiredAt, a.Reason = StateFiring, now, reason
			default:
				continue
			}
		case StateFiring:
			if burning {
				a.Reason = reason
				continue
			}
			a.State, a.ResolvedAt = StateInactive, now
		}
		e.transition(a, from, now, fx)
	}
}

func (e *Engine) transition(a *Alert, from State, now time.Time, fx *effects) {
	to := a.State
	label := string(to)
	if from == StateFiring && to == StateInactive {
		label = "resolved"
	}
	e.log.Info("slo alert", "alert", a.ID, "from", from, "to", label, "reason", a.Reason)
	detail := map[string]any{"burn_rates": a.BurnRates, "reason": a.Reason}
	if s := e.silencedBy(a, now); len(s) > 0 {
		detail["silenced_by"] = s
	}
	e.store.record(Entry{
		At: now, Alert: a.ID, Objective: a.Objective, Severity: a.Severity, Kind: "transition",
		From: string(from), To: label, Detail: detail,
	})
	e.store.saveAlert(a.clone(), now)
	fx.events = append(fx.events, AlertEvent{Alert: a.clone(), From: from, To: to, At: now})
}

// silence marks the active alerts the silences in force match.
func (e *Engine) silence(now time.Time) {
	for _, id := range e.order {
		a := e.alerts[id]
		a.SilencedBy = nil
		if a.active() {
			a.SilencedBy = e.silencedBy(a, now)
		}
	}
}

// silencedBy are the silences in force over a at now.
func (e *Engine) silencedBy(a *Alert, now time.Time) []string {
	var out []string
	for _, s := range e.silences {
		if s.Active(now) && s.matches(a) {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return out
}

// routeOf is the route of an alert's severity (nil: the lone receiver, or
// none), and its receiver ("" for none).
func (e *Engine) routeOf(a *Alert) (*Route, string) {
	for i := range e.cfg.Routes {
		r := &e.cfg.Routes[i]
		if r.Severity == a.Severity || r.Severity == "*" {
			return r, r.Receiver
		}
	}
	if len(e.cfg.Routes) == 0 && len(e.cfg.Receivers) == 1 {
		return nil, e.cfg.Receivers[0].Name
	}
	return nil, ""
}

// route puts firing alerts in their groups and flushes the groups that
// are due.
func (e *Engine) route(now time.Time, fx *effects) {
	for _, id := range e.order {
		a := e.alerts[id]
		_, recv := e.routeOf(a)
		if recv == "" {
			continue
		}
		labels := map[string]string{}
		key := recv
		for _, l := range e.cfg.Group.By {
			labels[l] = a.label(l)
			key += "\x00" + labels[l]
		}
		g := e.groups[key]
		switch {
		case a.State == StateFiring && !a.silenced():
			if g == nil {
				g = &group{key: key, receiver: recv, labels: labels, firing: map[string]bool{}, lastSet: map[string]bool{}, next: now.Add(e.cfg.Group.Wait)}
				e.groups[key] = g
			}
			if !g.firing[id] && a.Notified && g.lastNotified.IsZero() {
				// restored after a restart: notified already
				g.lastSet[id], g.lastNotified = true, a.LastNotified
			}
			g.firing[id] = true
		case g != nil && g.firing[id]:
			delete(g.firing, id)
			if a.State == StateInactive && a.ResolvedAt.Equal(now) && a.Notified && !a.silenced() {
				g.resolved = append(g.resolved, id)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(e.groups)) {
		g := e.groups[key]
		if now.Before(g.next) {
			continue
		}
		for id := range g.lastSet {
			if !g.firing[id] {
				delete(g.lastSet, id)
			}
		}
		fresh := false
		for id := range g.firing {
			fresh = fresh || !g.lastSet[id]
		}
		repeat := len(g.firing) > 0 && now.Sub(g.lastNotified) >= e.cfg.Group.RepeatInterval && !e.allAcked(g.firing)
		if fresh || len(g.resolved) > 0 || repeat {
			fx.notifications = append(fx.notifications, e.notification(g, now))
			g.lastSet = maps.Clone(g.firing)
			g.lastNotified = now
			g.resolved = nil
		}
		g.next = now.Add(e.cfg.Group.Interval)
		if len(g.firing) == 0 && len(g.resolved) == 0 {
			delete(e.groups, key)
		}
	}
}

func (e *Engine) allAcked(ids map[string]bool) bool {
	for id := range ids {
		if e.alerts[id].Ack == nil {
			return false
		}
	}
	return true
}

func (e *Engine) notification(g *group, now time.Time) Notification {
	n := Notification{Receiver: g.receiver, Status: "resolved", GroupKey: strings.ReplaceAll(g.key, "\x00", "/"), GroupLabels: g.labels, At: now}
	for _, id := range slices.Sorted(maps.Keys(g.firing)) {
		a := e.alerts[id]
		a.Notified, a.LastNotified = true, now
		e.store.saveAlert(a.clone(), now)
		n.Alerts = append(n.Alerts, NotifiedAlert{Status: "firing", Alert: a.clone()})
		n.Status = "firing"
	}
	for _, id := range g.resolved {
		n.Alerts = append(n.Alerts, NotifiedAlert{Status: "resolved", Alert: e.alerts[id].clone()})
	}
	return n
}

// escalate sends the alerts firing unacknowledged past their route's
// escalate_after to its escalate_to, once per episode.
func (e *Engine) escalate(now time.Time, fx *effects) {
	batch := map[string][]NotifiedAlert{}
	for _, id := range e.order {
		a := e.alerts[id]
		r, _ := e.routeOf(a)
		if r == nil || r.EscalateTo == "" || a.State != StateFiring || a.silenced() || a.Ack != nil || !a.EscalatedAt.IsZero() {
			continue
		}
		if now.Sub(a.FiredAt) < r.EscalateAfter {
			continue
		}
		a.EscalatedAt = now
		e.store.saveAlert(a.clone(), now)
		e.store.record(Entry{
			At: now, Alert: a.ID, Objective: a.Objective, Severity: a.Severity, Kind: "escalation",
			Receiver: r.EscalateTo, Detail: map[string]any{"unacknowledged_for": fmtDuration(now.Sub(a.FiredAt))},
		})
		batch[r.EscalateTo] = append(batch[r.EscalateTo], NotifiedAlert{Status: "firing", Alert: a.clone()})
	}
	for _, recv := range slices.Sorted(maps.Keys(batch)) {
		fx.notifications = append(fx.notifications, Notification{
			Receiver: recv, Status: "firing", Escalation: true,
			GroupKey: "escalation/" + recv, GroupLabels: map[string]string{}, Alerts: batch[recv], At: now,
		})
	}
}

// delivered records a notification's outcome in each of its alerts'
// history.
func (e *Engine) delivered(n Notification, err error) {
	detail := map[string]any{"status": n.Status, "group": n.GroupKey, "delivered": err == nil, "alerts": len(n.Alerts)}
	if n.Escalation {
		detail["escalation"] = true
	}
	if err != nil {
		detail["error"] = err.Error()
	}
	at := e.now()
	for _, a := range n.Alerts {
		e.store.record(Entry{
			At: at, Alert: a.ID, Objective: a.Objective, Severity: a.Severity, Kind: "notification",
			To: a.Status, Receiver: n.Receiver, Detail: detail,
		})
	}
}

// Objectives returns every objective with its numbers at the latest
// evaluation.
func (e *Engine) Objectives() []ObjectiveStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.status == nil {
		out := make([]ObjectiveStatus, 0, len(e.objs))
		for _, o := range e.objs {
			out = append(out, e.objectiveStatus(o))
		}
		return out
	}
	return slices.Clone(e.status)
}

// Alerts returns the alerts, pending and firing ones (all with all).
func (e *Engine) Alerts(all bool) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []Alert{}
	for _, id := range e.order {
		if a := e.alerts[id]; all || a.active() {
			out = append(out, a.clone())
		}
	}
	return out
}

// Acknowledge acknowledges an active alert: it is no longer escalated nor
// notified again until it resolves.
func (e *Engine) Acknowledge(id, by, comment string) (Alert, error) {
	if strings.TrimSpace(by) == "" {
		return Alert{}, fmt.Errorf("%w: say who acknowledges (by)", ErrInvalid)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("%w: no alert %q", ErrNotFound, id)
	}
	if !a.active() {
		return Alert{}, fmt.Errorf("%w: alert %q is not firing", ErrInvalid, id)
	}
	now := e.now()
	a.Ack = &Ack{By: by, Comment: comment, At: now}
	e.store.saveAlert(a.clone(), now)
	e.store.record(Entry{
		At: now, Alert: a.ID, Objective: a.Objective, Severity: a.Severity, Kind: "ack",
		Detail: map[string]any{"by": by, "comment": comment},
	})
	return a.clone(), nil
}

// Silences returns the silences in force or to come (all with all, ended
// ones too, within the retention), by start.
func (e *Engine) Silences(all bool) []Silence {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	out := []Silence{}
	for _, s := range e.silences {
		if all || now.Before(s.EndsAt) {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(a, b Silence) int { return a.StartsAt.Compare(b.StartsAt) })
	return out
}

// AddSilence records a silence (StartsAt defaults to now) and returns it
// with its id. It takes effect at the next evaluation.
func (e *Engine) AddSilence(ctx context.Context, s Silence) (Silence, error) {
	now := e.now()
	s.ID, s.CreatedAt = newID(), now
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := s.validate(); err != nil {
		return Silence{}, err
	}
	pool, err := e.store.src.Pool()
	if err != nil {
		return Silence{}, err
	}
	if _, err := pool.Exec(ctx, `insert into mobo.slo_silences (id, objective, api, project, severity, starts_at, ends_at, created_by, comment, created_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, s.Objective, s.API, s.Project, s.Severity, s.StartsAt, s.EndsAt, s.CreatedBy, s.Comment, s.CreatedAt); err != nil {
		return Silence{}, fmt.Errorf("recording the silence: %w", err)
	}
	e.mu.Lock()
	e.silences[s.ID] = &s
	e.mu.Unlock()
	e.store.record(Entry{
		At: now, Objective: s.Objective, Severity: s.Severity, Kind: "silence", To: "created",
		Detail: map[string]any{"id": s.ID, "by": s.CreatedBy, "comment": s.Comment, "ends_at": s.EndsAt},
	})
	return s, nil
}

// ExpireSilence ends a silence now.
func (e *Engine) ExpireSilence(ctx context.Context, id string) error {
	now := e.now()
	e.mu.Lock()
	s, ok := e.silences[id]
	var c Silence
	if ok {
		c = *s
	}
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: no silence %q", ErrNotFound, id)
	}
	if !now.Before(c.EndsAt) {
		return nil
	}
	if now.Before(c.StartsAt) {
		c.StartsAt = now
	}
	c.EndsAt = now
	pool, err := e.store.src.Pool()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `update mobo.slo_silences set starts_at = $2, ends_at = $3 where id = $1`, id, c.StartsAt, c.EndsAt); err != nil {
		return fmt.Errorf("expiring the silence: %w", err)
	}
	e.mu.Lock()
	e.silences[id] = &c
	e.mu.Unlock()
	e.store.record(Entry{At: now, Objective: c.Objective, Severity: c.Severity, Kind: "silence", To: "expired", Detail: map[string]any{"id": id}})
	return nil
}

// fmtDuration writes whole days as "30d" and other durations as Go does,
// without trailing zero units ("1h", "5m", "1h30m").
func fmtDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
