package dataguard

import "errors"

// ErrInvalidConfig is wrapped by every error of [Config.Validate].
var ErrInvalidConfig = errors.New("dataguard: invalid config")
