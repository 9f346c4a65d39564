// Package event holds what the sentinel's agents see and say: an [Event]
// is one observed request or authentication attempt, a [Finding] is what
// an agent concludes from values or events. The agents (sqlguard,
// xssguard, pathguard for values; apiwatch, authsentry, dataguard,
// privguard for behaviour) depend on this package only, so each can be
// built and tested alone; the sentinel component feeds them and
// correlates their findings.
//
// Concurrency: Events and Findings are values; an agent's Observe and
// Inspect are called from many request goroutines at once.
package event

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// Actor is who made a request, at every granularity the analyzer groups
// by. Fields the request did not have are zero.
type Actor struct {
	IP      netip.Addr // the client address (trusted proxies considered)
	KeyID   string     // the API key's id (a scoped key's id, or a digest of the key)
	UserID  string     // the JWT's sub
	Session string     // the JWT's session_id
	Role    string     // the database role the request ran as
}

// Kind says what an [Event] records.
type Kind uint8

// The kinds of event.
const (
	// KindRequest is an API request's outcome (REST, GraphQL, realtime,
	// storage, functions…).
	KindRequest Kind = iota
	// KindAuth is an authentication attempt (sign-in, verify, refresh, MFA).
	KindAuth
)

// Event is one observed request, after it was answered.
type Event struct {
	Time    time.Time
	Kind    Kind
	Project string
	Actor   Actor
	API     string // "rest", "graphql", "auth", "realtime", "storage", "admin", …
	Method  string
	// Route is a bounded name for what was asked, never a raw path:
	// "rest:public.todos", "rpc:public.f", "auth:token", "graphql", "unknown".
	Route string
	// Relation is the schema-qualified relation or function the request
	// named (as the client wrote it; it may not exist), or "".
	Relation string
	// Column is a column the request named that did not exist, or "".
	Column   string
	Status   int    // the HTTP status answered
	SQLState string // the PostgreSQL error code when SQL failed, or ""
	Code     string // the API's error code (PGRST205, invalid_credentials…), or ""
	Rows     int64  // rows returned (reads) or affected (writes)
	Bytes    int64  // response body bytes
	// UserAgent is the request's User-Agent header.
	UserAgent string
	// ClaimedRole is the role a token asked for, when it was refused
	// (a role claim the key may not carry).
	ClaimedRole string
	// Auth is set for KindAuth events.
	Auth *Auth
}

// AuthAction names the kind of authentication attempt.
type AuthAction string

// The authentication attempts AuthSentry watches.
const (
	AuthPassword AuthAction = "password" // password sign-in
	AuthOTP      AuthAction = "otp"      // email/phone one-time code or magic link verify
	AuthMFA      AuthAction = "mfa"      // MFA challenge verify
	AuthRefresh  AuthAction = "refresh"  // refresh-token grant
	AuthSignup   AuthAction = "signup"
	AuthRecover  AuthAction = "recover" // password recovery request
)

// Auth is the detail of an authentication attempt.
type Auth struct {
	Action AuthAction
	// Account is the email or phone the attempt named (lowercased), or the
	// user id for MFA and refresh. Never a password or a token.
	Account string
	OK      bool
	// Reason is Supabase Auth's error code on failure
	// ("invalid_credentials", "refresh_token_already_used",
	// "refresh_token_not_found", "mfa_verification_failed", …).
	Reason string
}

// Finding is what an agent concluded: an attack seen in a value or a
// pattern of events. The zero Finding means nothing was found.
type Finding struct {
	Agent string // the agent's name: "sqlguard", "authsentry", …
	// Label is the attack's kind: "sqli", "xss", "traversal",
	// "brute_force", "credential_stuffing", "password_spraying",
	// "mfa_guessing", "token_replay", "scanning", "flood",
	// "bad_agent", "odd_method", "exfiltration", "privilege_probing".
	Label string
	// Reason says briefly why, for the forensic record (no secrets, no
	// full values): "stacked statement", "pg_sleep call", "37 distinct
	// unknown relations in 60s".
	Reason string
	// Score is the agent's confidence, in (0, 1]; the analyzer weighs it.
	Score float64
	// Scope says which actor granularity the finding is about: "ip",
	// "net" (the /24 or /64), "key", "user", "session" or "account".
	Scope string
	// Subject is the actor value at that scope when it is not in the
	// event's Actor (an account named in an auth attempt), else "".
	Subject string
}

// Found reports whether f records something.
func (f Finding) Found() bool { return f.Label != "" }

// Inspector is a value agent: it says whether one value (a filter value,
// an RPC argument, a string inside a JSON body, a GraphQL argument) is an
// attack. Inspect must be fast (microseconds) and allocate little.
type Inspector interface {
	Inspect(value string) Finding
}

// Agent is a behaviour agent: it watches events and reports findings.
// Observe is called for every event, from many goroutines at once; it
// must not block and must bound its memory (state per actor expires).
// Time comes from the events, never from the wall clock, so that tests
// drive it with their own.
type Agent interface {
	Name() string
	Observe(e *Event) []Finding
}

// Note is the event of the request being answered, which the handlers on
// its path fill in as they learn (the gate the actor, an API the relation,
// rows and error code, auth the attempt) and the gateway records once the
// answer is sent. Its methods are safe for concurrent use and do nothing
// on a nil Note (a request the gateway does not record).
type Note struct {
	mu sync.Mutex
	e  Event
}

// Set applies fn to the event under the note's lock.
func (n *Note) Set(fn func(e *Event)) {
	if n == nil {
		return
	}
	n.mu.Lock()
	fn(&n.e)
	n.mu.Unlock()
}

// Event returns a copy of the event as filled so far.
func (n *Note) Event() Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.e
}

type noteKey struct{}

// WithNote returns ctx carrying n.
func WithNote(ctx context.Context, n *Note) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// NoteFrom returns the note ctx carries, or nil.
func NoteFrom(ctx context.Context) *Note {
	n, _ := ctx.Value(noteKey{}).(*Note)
	return n
}
