package kernel

import (
	"context"
	"time"
)

// Component is one capability plugged into the kernel.
//
// The kernel calls Name and Requires at registration and may call them again at
// any time; they must be cheap and return the same values. Start is called once
// per boot (and again after Stop when the health monitor restarts the
// component), from the kernel's goroutine, after every component named by
// Requires has started. Start may block until the component is ready but must
// return when ctx is done. Goroutines the component launches are its own: Stop
// ends them and waits for them. Stop is called in reverse boot order, must be
// idempotent, and must return when ctx is done even if cleanup is incomplete.
type Component interface {
	Name() string
	Requires() []string
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// HealthChecker is implemented by components that can report their health.
// The health monitor calls Health periodically from its own goroutine, so it must
// be safe to call concurrently with the component's other methods. A non-nil
// error marks the component unhealthy; the monitor then restarts it.
type HealthChecker interface {
	Health(ctx context.Context) error
}

// FaultReporter is implemented by components that know at once when they
// fail, such as a supervised process that exited, rather than at the next
// health check. Faulted returns a channel closed when the current run has
// failed (nil while none is running); the health monitor asks again after
// each restart. A fault marks the component unhealthy at once and restarts
// it without waiting for FailureThreshold checks or a first backoff; the
// backoff applies to repeated failures.
type FaultReporter interface {
	Faulted() <-chan struct{}
}

// Resetter is implemented by components that keep what a restart of one of
// their requirements makes stale, such as pooled connections to a database
// server that was restarted. After a component restarts, the kernel calls
// Reset on every running component that requires it, directly or through
// others, in boot order. Reset must not block for long: it drops what is
// stale and lets the next use rebuild it.
type Resetter interface {
	Reset(ctx context.Context)
}

// ResetReporter is implemented by components that know when what their
// dependents keep went stale while they themselves ran on, such as a
// database server that ended every session to recover from one backend's
// crash. Resets returns a channel that receives a value each time; the
// kernel then resets the dependents ([Resetter]) as after a restart.
type ResetReporter interface {
	Resets() <-chan struct{}
}

// ReadinessChecker is implemented by components whose readiness to serve is
// more than being healthy: a component can run and pass its health check
// while the work it serves cannot succeed (no database connection can be
// had, the connection budget is spent). /readyz asks it, with a short
// deadline, on every call; a non-nil error makes the node not ready. It is
// not a health check: a component that is not ready is not restarted.
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

// State is a component's lifecycle state.
type State string

// Lifecycle states, in the order a component normally passes through them.
const (
	StateRegistered State = "registered"
	StateStarting   State = "starting"
	StateRunning    State = "running"
	StateUnhealthy  State = "unhealthy"
	StateRestarting State = "restarting"
	StateStopping   State = "stopping"
	StateStopped    State = "stopped"
	StateFailed     State = "failed"
)

// ComponentStatus is a snapshot of one component, as shown by `mobo components`
// and /readyz.
type ComponentStatus struct {
	Name      string    `json:"name"`
	Requires  []string  `json:"requires"`
	State     State     `json:"state"`
	Healthy   bool      `json:"healthy"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Restarts  int       `json:"restarts"`
	LastError string    `json:"last_error,omitempty"`
}
