package kernel

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder collects lifecycle calls from fake components, in call order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

type fake struct {
	name     string
	requires []string
	rec      *recorder
	startErr atomic.Pointer[error]
	healthFn func() error
	starts   atomic.Int32
	stops    atomic.Int32
}

func (f *fake) Name() string       { return f.name }
func (f *fake) Requires() []string { return f.requires }
func (f *fake) Start(context.Context) error {
	f.starts.Add(1)
	if f.rec != nil {
		f.rec.add("start " + f.name)
	}
	if p := f.startErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *fake) Stop(context.Context) error {
	f.stops.Add(1)
	if f.rec != nil {
		f.rec.add("stop " + f.name)
	}
	return nil
}

type healthyFake struct{ *fake }

func (h healthyFake) Health(context.Context) error { return h.healthFn() }

var quiet = slog.New(slog.DiscardHandler)

func TestNewResolvesOrder(t *testing.T) {
	t.Parallel()
	k, err := New(Options{Logger: quiet},
		&fake{name: "gateway", requires: []string{"rest", "auth"}},
		&fake{name: "rest", requires: []string{"postgres"}},
		&fake{name: "auth", requires: []string{"postgres"}},
		&fake{name: "postgres"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"postgres", "rest", "auth", "gateway"}
	if diff := cmp.Diff(want, k.Order()); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		comps []Component
		check func(t *testing.T, err error)
	}{
		{
			name:  "missing",
			comps: []Component{&fake{name: "rest", requires: []string{"postgres"}}},
			check: func(t *testing.T, err error) {
				var me *MissingDependencyError
				if !errors.As(err, &me) || me.Component != "rest" || me.Missing != "postgres" {
					t.Fatalf("got %v, want a MissingDependencyError naming rest and postgres", err)
				}
			},
		},
		{
			name: "cycle",
			comps: []Component{
				&fake{name: "a", requires: []string{"b"}},
				&fake{name: "b", requires: []string{"c"}},
				&fake{name: "c", requires: []string{"a"}},
				&fake{name: "d"},
			},
			check: func(t *testing.T, err error) {
				var ce *CycleError
				if !errors.As(err, &ce) {
					t.Fatalf("got %v, want a CycleError", err)
				}
				if diff := cmp.Diff([]string{"a", "b", "c", "a"}, ce.Cycle); diff != "" {
					t.Errorf("cycle (-want +got):\n%s", diff)
				}
				if got, want := err.Error(), "dependency cycle: a -> b -> c -> a"; got != want {
					t.Errorf("message %q, want %q", got, want)
				}
			},
		},
		{
			name:  "self cycle",
			comps: []Component{&fake{name: "a", requires: []string{"a"}}},
			check: func(t *testing.T, err error) {
				var ce *CycleError
				if !errors.As(err, &ce) || len(ce.Cycle) != 2 {
					t.Fatalf("got %v, want a CycleError a -> a", err)
				}
			},
		},
		{
			name:  "duplicate",
			comps: []Component{&fake{name: "a"}, &fake{name: "a"}},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrDuplicateComponent) {
					t.Fatalf("got %v, want ErrDuplicateComponent", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{Logger: quiet}, tt.comps...)
			tt.check(t, err)
		})
	}
}

func TestStartRollsBackInReverseOrder(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	boom := errors.New("boom")
	a := &fake{name: "a", rec: rec}
	b := &fake{name: "b", requires: []string{"a"}, rec: rec}
	c := &fake{name: "c", requires: []string{"b"}, rec: rec}
	d := &fake{name: "d", requires: []string{"c"}, rec: rec}
	d.startErr.Store(&boom)
	e := &fake{name: "e", requires: []string{"d"}, rec: rec}
	k, err := New(Options{Logger: quiet}, a, b, c, d, e)
	if err != nil {
		t.Fatal(err)
	}
	err = k.Start(t.Context())
	var se *StartError
	if !errors.As(err, &se) || se.Component != "d" || !errors.Is(err, boom) {
		t.Fatalf("Start = %v, want StartError for d wrapping boom", err)
	}
	want := []string{"start a", "start b", "start c", "start d", "stop c", "stop b", "stop a"}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if e.starts.Load() != 0 {
		t.Errorf("e started after d failed")
	}
	if d.stops.Load() != 0 {
		t.Errorf("d was stopped though it never started")
	}
	st := k.Status()
	if st[3].State != StateFailed || st[3].LastError != "boom" {
		t.Errorf("d status = %+v, want failed with boom", st[3])
	}
}

func TestStopReverseOrderAndIdempotent(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	k, err := New(Options{Logger: quiet},
		&fake{name: "a", rec: rec},
		&fake{name: "b", requires: []string{"a"}, rec: rec},
		&fake{name: "c", requires: []string{"a"}, rec: rec},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ok, failing := k.Ready(t.Context()); !ok {
		t.Fatalf("not ready: %v", failing)
	}
	if err := k.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := k.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := rec.list()
	// b and c start concurrently (same stage); stops are strictly reverse.
	if diff := cmp.Diff([]string{"stop c", "stop b", "stop a"}, got[3:]); diff != "" {
		t.Errorf("stops (-want +got):\n%s", diff)
	}
	if ok, _ := k.Ready(t.Context()); ok {
		t.Error("ready after stop")
	}
}

func TestHealthRestartWithBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var failing atomic.Bool
		failing.Store(true)
		var restarts []time.Time
		var mu sync.Mutex
		f := &fake{name: "db"}
		f.healthFn = func() error {
			if failing.Load() {
				return errors.New("connection refused")
			}
			return nil
		}
		hf := healthyFake{f}
		k, err := New(Options{Logger: quiet, HealthInterval: 10 * time.Second, RestartBackoff: time.Second, RestartBackoffMax: 4 * time.Second, FailureThreshold: 1}, restartSpy{hf, &mu, &restarts})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		// Health fails every check: checks at 10s, then restart after the
		// backoff, check again after the interval, and the backoff doubles up to
		// the maximum: restarts at 11, 23, 37, 51, 65 s.
		time.Sleep(76 * time.Second) // the check at 75s fails; the next restart waits until 79s
		synctest.Wait()
		mu.Lock()
		var offsets []time.Duration
		for _, r := range restarts {
			offsets = append(offsets, r.Sub(t0))
		}
		mu.Unlock()
		want := []time.Duration{11 * time.Second, 23 * time.Second, 37 * time.Second, 51 * time.Second, 65 * time.Second}
		if diff := cmp.Diff(want, offsets); diff != "" {
			t.Errorf("restart times (-want +got):\n%s", diff)
		}
		st := k.Status()[0]
		if st.Restarts != 5 || st.LastError != "connection refused" {
			t.Errorf("status = %+v, want 5 restarts and the last error", st)
		}
		if ok, _ := k.Ready(t.Context()); ok {
			t.Error("ready while unhealthy")
		}

		// Recovery: the next check passes and the component is ready again.
		failing.Store(false)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if ok, bad := k.Ready(t.Context()); !ok {
			t.Errorf("not ready after recovery: %v", bad)
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// restartSpy records the virtual time of every Start after the first.
type restartSpy struct {
	healthyFake
	mu    *sync.Mutex
	times *[]time.Time
}

func (r restartSpy) Start(ctx context.Context) error {
	if r.starts.Load() > 0 {
		r.mu.Lock()
		*r.times = append(*r.times, time.Now())
		r.mu.Unlock()
	}
	return r.fake.Start(ctx)
}

func TestRestartFailureKeepsBackingOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fake{name: "x"}
		f.healthFn = func() error { return errors.New("down") }
		hf := healthyFake{f}
		k, err := New(Options{Logger: quiet, HealthInterval: time.Second, RestartBackoff: time.Second, RestartBackoffMax: 8 * time.Second, FailureThreshold: 1}, hf)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		cannotStart := errors.New("cannot start")
		f.startErr.Store(&cannotStart) // every restart fails from now on
		// check at 1s fails → restart at 2s fails → check at once fails → restart
		// at 4s → 8s → 16s → 24s (capped at 8s) → 32s.
		time.Sleep(33 * time.Second)
		synctest.Wait()
		if got := f.starts.Load(); got != 7 { // 1 boot + 6 restarts (2,4,8,16,24,32)
			t.Errorf("starts = %d, want 7", got)
		}
		st := k.Status()[0]
		if st.State != StateFailed || st.LastError != "cannot start" {
			t.Errorf("status = %+v, want failed with the start error", st)
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRestartNeedsConsecutiveFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		f := &fake{name: "db"}
		// Fails every other check: never three in a row, never restarted.
		f.healthFn = func() error {
			if calls.Add(1)%2 == 0 {
				return errors.New("slow")
			}
			return nil
		}
		k, err := New(Options{Logger: quiet, HealthInterval: time.Second}, healthyFake{f})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := f.starts.Load(); got != 1 {
			t.Errorf("starts = %d, want 1: isolated failures must not restart", got)
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNoRestartWhileARequirementIsDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var dbDown atomic.Bool
		db := &fake{name: "db"}
		db.healthFn = func() error {
			if dbDown.Load() {
				return errors.New("db down")
			}
			return nil
		}
		app := &fake{name: "app", requires: []string{"db"}}
		app.healthFn = func() error {
			if dbDown.Load() {
				return errors.New("lost the db")
			}
			return nil
		}
		k, err := New(Options{Logger: quiet, HealthInterval: time.Second, RestartBackoff: time.Hour}, healthyFake{db}, healthyFake{app})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		dbDown.Store(true)
		// db fails 3 checks and waits an hour before its restart; meanwhile app,
		// whose requirement is unhealthy, is not restarted.
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := app.starts.Load(); got != 1 {
			t.Errorf("app starts = %d, want 1 while its requirement is down", got)
		}
		st := k.Status()
		if st[0].Healthy || st[1].Healthy || st[1].LastError != "lost the db" {
			t.Errorf("status = %+v", st)
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// faultyFake reports a fault when its run's channel closes, as a supervised
// process that exited; each Start begins a new run.
type faultyFake struct {
	healthyFake
	mu  sync.Mutex
	run chan struct{}
}

func (f *faultyFake) Start(ctx context.Context) error {
	f.mu.Lock()
	f.run = make(chan struct{})
	f.mu.Unlock()
	return f.fake.Start(ctx)
}

func (f *faultyFake) Faulted() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.run
}

func (f *faultyFake) fail() {
	f.mu.Lock()
	close(f.run)
	f.mu.Unlock()
}

// TestFaultRestartsAtOnce: a reported fault makes the component unhealthy
// and restarts it at once, without waiting for FailureThreshold checks or a
// backoff; a fault again before a check passed waits the backoff.
func TestFaultRestartsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var down atomic.Bool
		f := &faultyFake{healthyFake: healthyFake{&fake{name: "db"}}}
		f.healthFn = func() error {
			if down.Load() {
				return errors.New("server exited")
			}
			return nil
		}
		k, err := New(Options{Logger: quiet, HealthInterval: 5 * time.Second, RestartBackoff: 2 * time.Second, FailureThreshold: 3}, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		down.Store(true)
		t0 := time.Now()
		f.fail()
		synctest.Wait()
		if f.starts.Load() != 2 || time.Since(t0) != 0 {
			t.Fatalf("after a fault: %d starts at +%v, want a restart at once", f.starts.Load(), time.Since(t0))
		}
		// Restarted, but the check right after still fails (the fault's
		// check ran before the restart): not ready until a check passes.
		down.Store(false)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ok, bad := k.Ready(t.Context()); !ok {
			t.Errorf("not ready after the restart and a passing check: %v", bad)
		}
		// A second fault after recovery restarts at once too.
		down.Store(true)
		f.fail()
		synctest.Wait()
		if f.starts.Load() != 3 {
			t.Errorf("starts = %d after the second fault, want 3", f.starts.Load())
		}
		// A fault before any check passed waits the backoff, doubled by
		// the restart before it (2s → 4s).
		f.fail()
		synctest.Wait()
		if ok, _ := k.Ready(t.Context()); ok {
			t.Error("ready while waiting to restart after a fault")
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if f.starts.Load() != 3 {
			t.Errorf("a repeated fault restarted without backoff (%d starts)", f.starts.Load())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if f.starts.Load() != 4 {
			t.Errorf("starts = %d after the backoff, want 4", f.starts.Load())
		}
		down.Store(false)
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// resetSpy counts its Reset calls.
type resetSpy struct {
	*fake
	resets atomic.Int32
}

func (r *resetSpy) Reset(context.Context) { r.resets.Add(1) }

// TestRestartResetsDependents: when a component restarts, every running
// Resetter that requires it, directly or through others, is reset once; a
// component that does not depend on it is not.
func TestRestartResetsDependents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		db := healthyFake{&fake{name: "postgres", healthFn: func() error {
			if fail.Load() {
				return errors.New("gone")
			}
			return nil
		}}}
		direct := &resetSpy{fake: &fake{name: "controlplane", requires: []string{"postgres"}}}
		indirect := &resetSpy{fake: &fake{name: "tenant", requires: []string{"controlplane"}}}
		unrelated := &resetSpy{fake: &fake{name: "bus"}}
		k, err := New(Options{Logger: quiet, HealthInterval: time.Second, FailureThreshold: 1}, db, direct, indirect, unrelated)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		fail.Store(true)
		time.Sleep(1500 * time.Millisecond) // the check at 1 s fails; the restart follows after the 1 s backoff
		fail.Store(false)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := db.starts.Load(); n != 2 {
			t.Fatalf("postgres started %d times, want 2", n)
		}
		if d, i, u := direct.resets.Load(), indirect.resets.Load(), unrelated.resets.Load(); d != 1 || i != 1 || u != 0 {
			t.Errorf("resets: controlplane %d, tenant %d, bus %d; want 1, 1, 0", d, i, u)
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// readyGate is a component whose readiness is set by the test.
type readyGate struct {
	*fake
	err atomic.Pointer[error]
}

func (r *readyGate) Ready(context.Context) error {
	if p := r.err.Load(); p != nil {
		return *p
	}
	return nil
}

// TestReadinessCheckers: a running, healthy component that is not ready
// makes the kernel not ready, with its reason, and is not restarted.
func TestReadinessCheckers(t *testing.T) {
	t.Parallel()
	r := &readyGate{fake: &fake{name: "tenant"}}
	k, err := New(Options{Logger: quiet}, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = k.Stop(t.Context()) }()
	if ok, bad := k.Ready(t.Context()); !ok {
		t.Fatalf("not ready: %v", bad)
	}
	spent := errors.New("the connection budget is exhausted")
	r.err.Store(&spent)
	ok, bad := k.Ready(t.Context())
	if ok || len(bad) != 1 || bad[0] != "tenant: the connection budget is exhausted" {
		t.Errorf("Ready = %v %q, want false with the reason", ok, bad)
	}
	if st := k.Status()[0]; st.State != StateRunning || st.Restarts != 0 {
		t.Errorf("status %+v: a component that is not ready stays running", st)
	}
}

// resetSource reports resets on demand.
type resetSource struct {
	*fake
	ch chan struct{}
}

func (r resetSource) Resets() <-chan struct{} { return r.ch }

// TestReportedResetsReachDependents: a reset reported by a running
// component (a server that ended every session) resets its dependents
// without restarting anything.
func TestReportedResetsReachDependents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		db := resetSource{fake: &fake{name: "postgres"}, ch: make(chan struct{})}
		pools := &resetSpy{fake: &fake{name: "tenant", requires: []string{"postgres"}}}
		k, err := New(Options{Logger: quiet}, db, pools)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		db.ch <- struct{}{}
		synctest.Wait()
		if n := pools.resets.Load(); n != 1 || db.starts.Load() != 1 {
			t.Errorf("%d resets and %d starts, want 1 reset and no restart", n, db.starts.Load())
		}
		if err := k.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
