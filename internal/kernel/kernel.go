package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Options tune a [Kernel]. The zero value is usable.
type Options struct {
	// Logger receives the kernel's own logs. Default: slog.Default().
	Logger *slog.Logger
	// HealthInterval is how often each [HealthChecker] is asked. Default 5s.
	HealthInterval time.Duration
	// HealthTimeout bounds one Health call. Default: half of HealthInterval.
	HealthTimeout time.Duration
	// RestartBackoff is the first wait before restarting an unhealthy component;
	// it doubles after each failed restart up to RestartBackoffMax. Defaults 1s and 1m.
	RestartBackoff    time.Duration
	RestartBackoffMax time.Duration
	// FailureThreshold is how many checks in a row must fail before a
	// restart, so that one slow answer does not restart a database. Default 3.
	FailureThreshold int
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 5 * time.Second
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = o.HealthInterval / 2
	}
	if o.RestartBackoff <= 0 {
		o.RestartBackoff = time.Second
	}
	if o.RestartBackoffMax <= 0 {
		o.RestartBackoffMax = time.Minute
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 3
	}
}

// Kernel boots components in dependency order, watches their health, restarts
// those that fail and stops everything in reverse order.
//
// Start and Stop must not be called concurrently with each other; Status and
// Ready may be called from any goroutine at any time.
type Kernel struct {
	opts    Options
	entries map[string]*entry
	stages  [][]*entry // boot stages; each stage requires only earlier ones
	order   []*entry   // stages flattened: the boot order

	mu      sync.Mutex // guards the mutable fields of every entry
	started bool

	monitorCancel context.CancelFunc
	monitorWG     sync.WaitGroup
}

type entry struct {
	c   Component
	idx int // registration index: the tie-breaker that keeps the order deterministic

	// guarded by Kernel.mu
	state     State
	healthy   bool
	startedAt time.Time
	restarts  int
	lastErr   error
}

// New registers components and resolves their boot order. It fails with a
// [*MissingDependencyError] or [*CycleError] naming the components involved.
func New(opts Options, components ...Component) (*Kernel, error) {
	opts.setDefaults()
	k := &Kernel{opts: opts, entries: make(map[string]*entry, len(components))}
	for i, c := range components {
		name := c.Name()
		if _, dup := k.entries[name]; dup {
			return nil, fmt.Errorf("registering %q: %w", name, ErrDuplicateComponent)
		}
		k.entries[name] = &entry{c: c, idx: i, state: StateRegistered}
	}
	stages, err := k.resolve(components)
	if err != nil {
		return nil, err
	}
	k.stages = stages
	for _, s := range stages {
		k.order = append(k.order, s...)
	}
	return k, nil
}

// resolve sorts the components into stages: stage n holds the components whose
// requirements all sit in stages < n, each stage in registration order.
func (k *Kernel) resolve(components []Component) ([][]*entry, error) {
	for _, c := range components {
		for _, r := range c.Requires() {
			if _, ok := k.entries[r]; !ok {
				return nil, &MissingDependencyError{Component: c.Name(), Missing: r}
			}
		}
	}
	if cyc := findCycle(components); cyc != nil {
		return nil, &CycleError{Cycle: cyc}
	}
	level := make(map[string]int, len(components))
	var depth func(name string) int
	depth = func(name string) int {
		if l, ok := level[name]; ok {
			return l
		}
		l := 0
		for _, r := range k.entries[name].c.Requires() {
			l = max(l, depth(r)+1)
		}
		level[name] = l
		return l
	}
	var stages [][]*entry
	for _, c := range components {
		l := depth(c.Name())
		for len(stages) <= l {
			stages = append(stages, nil)
		}
		stages[l] = append(stages[l], k.entries[c.Name()])
	}
	return stages, nil
}

// findCycle returns the first dependency cycle found by a depth-first search in
// registration order, or nil.
func findCycle(components []Component) []string {
	byName := make(map[string]Component, len(components))
	for _, c := range components {
		byName[c.Name()] = c
	}
	const (
		unvisited = iota
		onPath
		done
	)
	mark := make(map[string]int, len(components))
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch mark[name] {
		case onPath:
			i := slices.Index(path, name)
			return append(slices.Clone(path[i:]), name)
		case done:
			return nil
		}
		mark[name] = onPath
		path = append(path, name)
		for _, r := range byName[name].Requires() {
			if cyc := visit(r); cyc != nil {
				return cyc
			}
		}
		path = path[:len(path)-1]
		mark[name] = done
		return nil
	}
	for _, c := range components {
		if cyc := visit(c.Name()); cyc != nil {
			return cyc
		}
	}
	return nil
}

// Order returns the component names in boot order.
func (k *Kernel) Order() []string {
	names := make([]string, len(k.order))
	for i, e := range k.order {
		names[i] = e.c.Name()
	}
	return names
}

// Start boots every component, stage by stage; the components of one stage
// start concurrently. If any fails, the ones already started are stopped in
// reverse boot order and the first failure is returned as a [*StartError].
// On success the health monitor runs until [Kernel.Stop].
func (k *Kernel) Start(ctx context.Context) error {
	k.mu.Lock()
	if k.started {
		k.mu.Unlock()
		return errors.New("kernel already started")
	}
	k.started = true
	k.mu.Unlock()

	for _, stage := range k.stages {
		errs := make([]error, len(stage))
		var wg sync.WaitGroup
		for i, e := range stage {
			wg.Go(func() { errs[i] = k.startEntry(ctx, e) })
		}
		wg.Wait()
		for i, err := range errs {
			if err == nil {
				continue
			}
			k.opts.Logger.Error("component failed to start", "component", stage[i].c.Name(), "err", err)
			// Roll back with a fresh context: ctx may be the reason the start failed.
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			_ = k.stopAll(stopCtx) // stop failures are logged by stopEntry; the start error is the one to return
			cancel()
			return &StartError{Component: stage[i].c.Name(), Err: err}
		}
	}

	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k.monitorCancel = cancel
	for _, e := range k.order {
		if hc, ok := e.c.(HealthChecker); ok {
			k.monitorWG.Go(func() { k.monitor(mctx, e, hc) })
		}
		if rr, ok := e.c.(ResetReporter); ok {
			k.monitorWG.Go(func() { k.relayResets(mctx, e, rr.Resets()) })
		}
	}
	return nil
}

// relayResets resets e's dependents each time e reports a reset.
func (k *Kernel) relayResets(ctx context.Context, e *entry, resets <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-resets:
			k.resetDependents(ctx, e)
		}
	}
}

func (k *Kernel) startEntry(ctx context.Context, e *entry) error {
	k.setState(e, StateStarting, nil)
	start := time.Now()
	if err := e.c.Start(ctx); err != nil {
		k.setState(e, StateFailed, err)
		return err
	}
	k.mu.Lock()
	e.state, e.healthy, e.startedAt = StateRunning, true, time.Now()
	k.mu.Unlock()
	k.opts.Logger.Info("component started", "component", e.c.Name(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Stop stops the health monitor, then every running component in reverse boot
// order, and returns the joined errors. It is idempotent.
func (k *Kernel) Stop(ctx context.Context) error {
	if k.monitorCancel != nil {
		k.monitorCancel()
		k.monitorWG.Wait()
		k.monitorCancel = nil
	}
	return k.stopAll(ctx)
}

func (k *Kernel) stopAll(ctx context.Context) error {
	var errs []error
	for _, e := range slices.Backward(k.order) {
		k.mu.Lock()
		st := e.state
		k.mu.Unlock()
		if st == StateRegistered || st == StateStopped || st == StateFailed {
			continue
		}
		if err := k.stopEntry(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("stopping %q: %w", e.c.Name(), err))
		}
	}
	return errors.Join(errs...)
}

func (k *Kernel) stopEntry(ctx context.Context, e *entry) error {
	k.setState(e, StateStopping, nil)
	err := e.c.Stop(ctx)
	k.mu.Lock()
	e.state, e.healthy = StateStopped, false
	if err != nil {
		e.lastErr = err
	}
	k.mu.Unlock()
	if err != nil {
		k.opts.Logger.Error("component stop failed", "component", e.c.Name(), "err", err)
	} else {
		k.opts.Logger.Info("component stopped", "component", e.c.Name())
	}
	return err
}

func (k *Kernel) setState(e *entry, s State, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.state = s
	if err != nil {
		e.lastErr = err
	}
	if s != StateRunning {
		e.healthy = false
	}
}

// monitor checks one component every HealthInterval. After FailureThreshold
// failed checks in a row it restarts the component (Stop then Start), waiting
// RestartBackoff before the first attempt and doubling the wait after each
// attempt, up to RestartBackoffMax. A component whose requirements are not
// all healthy is not restarted: the fault is theirs, and their own monitors
// deal with it. A passing check resets the count and the backoff.
func (k *Kernel) monitor(ctx context.Context, e *entry, hc HealthChecker) {
	backoff := k.opts.RestartBackoff
	failures := 0
	recovered := true // no restart since the last passing check
	t := time.NewTimer(k.opts.HealthInterval)
	defer t.Stop()
	fr, _ := e.c.(FaultReporter)
	for {
		var faulted <-chan struct{}
		if fr != nil {
			faulted = fr.Faulted()
		}
		fault := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-faulted:
			fault = true
		}
		err := k.check(ctx, e, hc)
		if err == nil {
			failures, recovered = 0, true
			backoff = k.opts.RestartBackoff
			t.Reset(k.opts.HealthInterval)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		if fault {
			failures = max(failures, k.opts.FailureThreshold)
		}
		if failures < k.opts.FailureThreshold || !k.requirementsHealthy(e) {
			t.Reset(k.opts.HealthInterval)
			continue
		}
		k.opts.Logger.Warn("component unhealthy; restarting", "component", e.c.Name(), "err", err, "failed_checks", failures, "fault", fault, "backoff", backoff)
		wait := backoff
		if fault && recovered {
			wait = 0 // a first fault restarts at once; repeated ones back off
		}
		recovered = false
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		rerr := k.restart(ctx, e)
		backoff = min(backoff*2, k.opts.RestartBackoffMax)
		if rerr != nil {
			k.opts.Logger.Error("component restart failed", "component", e.c.Name(), "err", rerr)
			t.Reset(0) // a failed restart counts as failed checks: retry after the doubled backoff
			continue
		}
		failures = 0
		t.Reset(k.opts.HealthInterval)
	}
}

// requirementsHealthy reports whether every component e requires is running
// and healthy.
func (k *Kernel) requirementsHealthy(e *entry) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range e.c.Requires() {
		d := k.entries[r]
		if d.state != StateRunning || !d.healthy {
			return false
		}
	}
	return true
}

func (k *Kernel) check(ctx context.Context, e *entry, hc HealthChecker) error {
	k.mu.Lock()
	st := e.state
	k.mu.Unlock()
	var err error
	if st == StateFailed || st == StateStopped {
		err = errors.New("not running")
	} else {
		cctx, cancel := context.WithTimeout(ctx, k.opts.HealthTimeout)
		err = hc.Health(cctx)
		cancel()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		e.healthy = false
		if st != StateFailed && st != StateStopped {
			e.lastErr = err // a failed component keeps the error that made it fail
		}
		if e.state == StateRunning {
			e.state = StateUnhealthy
		}
		return err
	}
	e.healthy = true
	if e.state == StateUnhealthy {
		e.state = StateRunning
	}
	return nil
}

func (k *Kernel) restart(ctx context.Context, e *entry) error {
	k.mu.Lock()
	e.restarts++
	k.mu.Unlock()
	k.setState(e, StateRestarting, nil)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.c.Stop(sctx); err != nil {
		k.opts.Logger.Warn("stop before restart failed", "component", e.c.Name(), "err", err)
	}
	if err := k.startEntry(ctx, e); err != nil {
		return err
	}
	k.resetDependents(ctx, e)
	return nil
}

// resetDependents calls Reset on every running [Resetter] that requires e,
// directly or through others, in boot order.
func (k *Kernel) resetDependents(ctx context.Context, e *entry) {
	for _, d := range k.order {
		r, ok := d.c.(Resetter)
		if !ok || d == e || !k.dependsOn(d, e.c.Name()) {
			continue
		}
		k.mu.Lock()
		running := d.state == StateRunning || d.state == StateUnhealthy
		k.mu.Unlock()
		if running {
			k.opts.Logger.Info("resetting after a requirement restarted", "component", d.c.Name(), "restarted", e.c.Name())
			r.Reset(ctx)
		}
	}
}

// dependsOn reports whether e requires the component named name, directly
// or through others. The graph has no cycles (New refused them).
func (k *Kernel) dependsOn(e *entry, name string) bool {
	for _, r := range e.c.Requires() {
		if r == name || k.dependsOn(k.entries[r], name) {
			return true
		}
	}
	return false
}

// Status returns a snapshot of every component in boot order.
func (k *Kernel) Status() []ComponentStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]ComponentStatus, len(k.order))
	for i, e := range k.order {
		s := ComponentStatus{
			Name:      e.c.Name(),
			Requires:  slices.Clone(e.c.Requires()),
			State:     e.state,
			Healthy:   e.healthy,
			StartedAt: e.startedAt,
			Restarts:  e.restarts,
		}
		if s.Requires == nil {
			s.Requires = []string{}
		}
		if e.lastErr != nil {
			s.LastError = e.lastErr.Error()
		}
		out[i] = s
	}
	return out
}

// ReadyTimeout bounds each [ReadinessChecker] that Ready asks.
const ReadyTimeout = 500 * time.Millisecond

// Ready reports whether every component is running and healthy and every
// [ReadinessChecker] is ready; if not, it returns the names of those that
// are not, with the reason where there is one ("tenant: …").
func (k *Kernel) Ready(ctx context.Context) (bool, []string) {
	var failing []string
	for _, s := range k.Status() {
		if s.State != StateRunning || !s.Healthy {
			failing = append(failing, s.Name)
		}
	}
	if len(failing) > 0 {
		return false, failing
	}
	for _, e := range k.order {
		rc, ok := e.c.(ReadinessChecker)
		if !ok {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
		err := rc.Ready(rctx)
		cancel()
		if err != nil {
			failing = append(failing, e.c.Name()+": "+err.Error())
		}
	}
	return len(failing) == 0, failing
}
