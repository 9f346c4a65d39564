package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/magflock/mobo/internal/gate"
)

// Error is an error in Supabase Auth's shape: an HTTP status, a stable
// error_code and a message for the client. Handlers return it; the HTTP edge
// writes {"code": status, "error_code": …, "msg": …}.
type Error struct {
	Status int
	Code   string
	Msg    string
	// Extra fields merged into the body (weak_password reasons).
	Extra map[string]any
	// RetryAfter, when set, is sent as Retry-After (a rate limit).
	RetryAfter time.Duration
}

// after is a copy of e telling the client to retry after d.
func (e *Error) after(d time.Duration) *Error {
	c := *e
	c.RetryAfter = max(d, time.Second)
	return &c
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

// HTTPStatus is the response status.
func (e *Error) HTTPStatus() int { return e.Status }

func apiErr(status int, code, msg string) *Error { return &Error{Status: status, Code: code, Msg: msg} }

func badRequest(code, msg string) *Error { return apiErr(http.StatusBadRequest, code, msg) }

// Error codes used in several places, as GoTrue names them.
var (
	errInvalidCredentials = badRequest("invalid_credentials", "Invalid login credentials")
	errNoAuthorization    = apiErr(http.StatusUnauthorized, "no_authorization", "This endpoint requires a valid Bearer token")
	errBadJWT             = apiErr(http.StatusForbidden, "bad_jwt", "invalid JWT: unable to parse or verify signature")
	errSessionNotFound    = apiErr(http.StatusForbidden, "session_not_found", "Session from session_id claim in JWT does not exist")
	errUserNotFound       = apiErr(http.StatusNotFound, "user_not_found", "User not found")
	errNotAdmin           = apiErr(http.StatusForbidden, "not_admin", "User not allowed")
	errOTPExpired         = apiErr(http.StatusForbidden, "otp_expired", "Token has expired or is invalid")
	errRateLimited        = apiErr(http.StatusTooManyRequests, "over_request_rate_limit", "Request rate limit reached")
	errEmailRateLimited   = apiErr(http.StatusTooManyRequests, "over_email_send_rate_limit", "Email rate limit exceeded")
	errSMSRateLimited     = apiErr(http.StatusTooManyRequests, "over_sms_send_rate_limit", "SMS rate limit exceeded")
	errSignupDisabled     = apiErr(http.StatusUnprocessableEntity, "signup_disabled", "Signups not allowed for this instance")
	errValidation         = func(msg string) *Error { return badRequest("validation_failed", msg) }
)

// Sentinel errors of the package's Go API.
var (
	// ErrKeyNotFound: no API key with that id.
	ErrKeyNotFound = errors.New("api key not found")
	// ErrBadScope: a scope string that does not parse (the gate's grammar).
	ErrBadScope = gate.ErrBadScope
)
