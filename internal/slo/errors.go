package slo

import "errors"

var (
	// ErrNotFound is an alert or silence that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid is a request the engine cannot do as asked: a silence
	// without a matcher, an acknowledgement of an alert that is not
	// active.
	ErrInvalid = errors.New("invalid")
)
