package ratelimit

import "errors"

// ErrInvalidRule is wrapped by every error about a malformed or out-of-range
// [Rule], whether it came from [ParseRule] or from a Rule built in code.
var ErrInvalidRule = errors.New("invalid rate limit rule")

// ErrInvalidConfig is wrapped by every error [Config.Validate] returns.
var ErrInvalidConfig = errors.New("invalid rate limit config")

// ErrCostExceedsBurst is returned by [Store.Take] when n is larger than the
// rule's burst: such a request could never be allowed, so it is a caller bug
// rather than a denial.
var ErrCostExceedsBurst = errors.New("rate limit cost exceeds burst")
