package kernel

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by a [KV] when a key has no value.
var ErrNotFound = errors.New("not found")

// ErrDuplicateComponent is wrapped by [New] when two components share a name.
var ErrDuplicateComponent = errors.New("duplicate component")

// MissingDependencyError reports a component that requires one that was not registered.
type MissingDependencyError struct {
	Component string
	Missing   string
}

func (e *MissingDependencyError) Error() string {
	return fmt.Sprintf("component %q requires %q, which is not registered", e.Component, e.Missing)
}

// CycleError reports components whose requirements form a cycle. Cycle lists the
// names along the cycle, with the first name repeated at the end.
type CycleError struct {
	Cycle []string
}

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Cycle, " -> ")
}

// StartError reports a component whose Start failed; the kernel has stopped the
// components that had started before it.
type StartError struct {
	Component string
	Err       error
}

func (e *StartError) Error() string { return fmt.Sprintf("starting %q: %v", e.Component, e.Err) }
func (e *StartError) Unwrap() error { return e.Err }

// ConfigError reports a configuration key that could not be applied.
type ConfigError struct {
	Source string // "mobo.toml", "environment MOBO_HTTP_LISTEN", "flag --http"
	Key    string // dotted key, e.g. "http.listen"
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("config %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("config %s: key %q: %v", e.Source, e.Key, e.Err)
}
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrUnknownKey is wrapped by [ConfigError] for a key that the config does not have.
var ErrUnknownKey = errors.New("unknown key")
