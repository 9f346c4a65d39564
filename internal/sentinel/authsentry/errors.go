package authsentry

import "errors"

// ErrInvalidConfig is wrapped by every error of [Config.Validate].
var ErrInvalidConfig = errors.New("authsentry: invalid config")
