package tenant

import "net/http"

// The tenant's errors say which HTTP status an API answers them with
// (HTTPStatus), so that no caller keeps a table of them.
var (
	// ErrNoProject is returned for an unknown project ref.
	ErrNoProject error = &statusError{"no such project", http.StatusNotFound}
	// ErrPaused: the project exists but is paused; its database refuses connections.
	ErrPaused error = &statusError{"project is paused", http.StatusConflict}
	// ErrInvalidRef: a ref that is not 3–40 lowercase letters, digits and dashes starting with a letter.
	ErrInvalidRef error = &statusError{"invalid project ref: use 3 to 40 lowercase letters, digits and dashes, starting with a letter", http.StatusBadRequest}
	// ErrProjectExists: a project with that ref exists already.
	ErrProjectExists error = &statusError{"project already exists", http.StatusConflict}
	// ErrDefaultProject: the operation is not allowed on the default project.
	ErrDefaultProject error = &statusError{"not allowed on the default project", http.StatusBadRequest}
	// ErrSecretFromConfig: the project's JWT secret is set by the platform's
	// configuration (jwt_secret), so it is changed there, not rotated.
	ErrSecretFromConfig error = &statusError{"the default project's JWT secret is set by jwt_secret in the configuration; change it there", http.StatusConflict}
	// ErrInvalidLimits: a limit out of range.
	ErrInvalidLimits error = &statusError{"invalid limits", http.StatusBadRequest}
)

// statusError is a tenant error with the HTTP status it is answered with.
type statusError struct {
	msg    string
	status int
}

func (e *statusError) Error() string { return e.msg }

// HTTPStatus is the status an API answers the error with.
func (e *statusError) HTTPStatus() int { return e.status }
