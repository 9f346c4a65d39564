package apiwatch

import "errors"

// ErrInvalidConfig is wrapped by every error of [Config.Validate].
var ErrInvalidConfig = errors.New("apiwatch: invalid config")
