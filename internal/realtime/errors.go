package realtime

import "errors"

var (
	// ErrBadFilter: a postgres_changes filter that does not parse.
	ErrBadFilter = errors.New("invalid filter")
	// ErrSlowClient: a socket whose send queue overflowed; it is closed with
	// status 1008 and this text as the reason.
	ErrSlowClient = errors.New("send queue full: client too slow")
	// ErrStopped: the component is not running.
	ErrStopped = errors.New("realtime is not running")

	// errNotLoaded: the tenant manager does not know the project (yet).
	errNotLoaded = errors.New("project not loaded")
)
