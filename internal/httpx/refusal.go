package httpx

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// CodeSentinel is the error code of a request the sentinel refused, in
// every API's error format.
const CodeSentinel = "sentinel_blocked"

// Refusal is a request refused by the platform's defences (the sentinel):
// an actor under a block, or a value that carried an attack. Each API
// answers it in its own error format with [Refusal.Status], code
// [CodeSentinel] and Retry-After when the refusal lasts.
type Refusal struct {
	// Reason is the attack or scenario ("brute_force", "sqli"), never a
	// detail that would teach an attacker what to change.
	Reason string
	// Scope is what is blocked ("ip", "key", "user", "account", …), or ""
	// for the one request.
	Scope string
	// Until is when the block ends; zero for a refusal of the one request.
	Until time.Time
}

func (r *Refusal) Error() string {
	if r.Scope == "" {
		return "request refused by the sentinel: " + r.Reason
	}
	return fmt.Sprintf("%s blocked by the sentinel: %s", r.Scope, r.Reason)
}

// Status is the HTTP status of the refusal: 403.
func (r *Refusal) Status() int { return http.StatusForbidden }

// Message is the client-facing message.
func (r *Refusal) Message() string {
	if r.Scope == "" {
		return "The request was refused: it looks like an attack (" + r.Reason + ")."
	}
	return "Access is blocked for a while: suspicious activity (" + r.Reason + ")."
}

// SetRetryAfter sets Retry-After for a refusal that lasts.
func (r *Refusal) SetRetryAfter(h http.Header, now time.Time) {
	if r.Until.IsZero() {
		return
	}
	secs := int(math.Ceil(r.Until.Sub(now).Seconds()))
	h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
}
