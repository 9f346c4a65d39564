package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/tracing"
)

// Options are the dependencies of a [Gate].
type Options struct {
	// Authenticator turns credentials into a principal. Required.
	Authenticator Authenticator
	// Pools gives each project's connections. Required.
	Pools Pools
	// Share, when set, keeps each request within its project's fair share
	// of the cluster's backends.
	Share Sharer
	// Roles is the RBAC stage. Without it, a principal that carries roles
	// is refused (the gate fails closed rather than ignore them).
	Roles RoleAuthorizer
	// Quota, when set, tells whether a project is over its size quota:
	// its writes are then refused and its other statements run read-only,
	// but deletes go through, so that it can shrink.
	Quota QuotaChecker
	// Watch, when set, is the sentinel: it refuses blocked principals at
	// every decision and inspects every statement's bound values before it
	// runs ([Watcher]).
	Watch Watcher
	// Tracer, when set, traces a sampled request's way through the gate:
	// spans of authentication, authorization, the wait for a connection
	// and each SQL round trip, under the request's span ([tracing.Child]:
	// none where the request's span does not record).
	Tracer trace.TracerProvider
	// TraceStatements puts each statement's text on its span
	// (db.query.text): compiled SQL, whose values are all parameters.
	TraceStatements bool
}

// Watcher is the sentinel on the request path (the sentinel component's).
// Its methods do no I/O and are safe for concurrent use.
type Watcher interface {
	// Admit refuses a principal whose key, user or session is blocked
	// on project ref (a user required to step up to MFA is admitted at
	// aal2); its error is an [*httpx.Refusal].
	Admit(ref, keyID, userID, session, aal string) error
	// Inspect looks at a statement's bound values (the request's actor
	// is in ctx's [event.Note]); an error refuses the statement.
	Inspect(ctx context.Context, args []any) error
}

// QuotaChecker tells whether project ref's database is over its size quota
// (the tenant component's).
type QuotaChecker interface {
	OverQuota(ref string) bool
}

// Gate is the request path's checkpoint: it authenticates credentials and
// decides whether a principal may do an action on a project. Its
// [Decision] is the only value from which a role-switched transaction can
// be had, so no API can run SQL as a principal it did not authorize.
// A Gate is safe for concurrent use.
type Gate struct {
	authn Authenticator
	roles RoleAuthorizer
	quota QuotaChecker
	pools Pools
	share Sharer
	watch Watcher
	// tracer is nil unless Options.Tracer is set.
	tracer     trace.Tracer
	statements bool
}

// New returns a gate. It panics without an Authenticator or Pools: the
// assembly of components is a programming matter, checked at start.
func New(opts Options) *Gate {
	if opts.Authenticator == nil || opts.Pools == nil {
		panic("gate: New needs an Authenticator and Pools")
	}
	g := &Gate{authn: opts.Authenticator, roles: opts.Roles, quota: opts.Quota, pools: opts.Pools, share: opts.Share, watch: opts.Watch}
	if opts.Tracer != nil {
		g.tracer, g.statements = opts.Tracer.Tracer("github.com/magflock/mobo/internal/gate"), opts.TraceStatements
	}
	return g
}

// Authenticate turns credentials into project ref's principal. Errors wrap
// [ErrNoCredentials], [ErrInvalidToken] or [ErrExpiredToken] when the
// credentials are at fault; others are the authenticator's own failures.
func (g *Gate) Authenticate(ctx context.Context, ref string, c Credentials) (*Principal, error) {
	ctx, span := tracing.Child(ctx, g.tracer, "gate.authenticate")
	p, err := g.authn.Authenticate(ctx, ref, c)
	if span.IsRecording() {
		if p != nil {
			span.SetAttributes(attrRole.String(p.Role))
		}
		endSpan(span, err)
	}
	return p, err
}

// Authorize decides whether p may do every one of acts on project ref:
// a scoped key's scopes must allow each action, then a principal carrying
// RBAC roles must hold one that covers it; what is left is PostgreSQL's
// own (grants and row-level security, under the decision's role). It
// returns the decision, or an error wrapping [ErrForbidden] (or the role
// store's failure).
func (g *Gate) Authorize(ctx context.Context, ref string, p *Principal, acts ...Action) (*Decision, error) {
	ctx, span := tracing.Child(ctx, g.tracer, "gate.authorize")
	d, err := g.decide(ctx, ref, p, acts)
	if span.IsRecording() {
		if len(acts) > 0 {
			span.SetAttributes(attrAction.String(acts[0].String()), attrActions.Int(len(acts)))
		}
		if p != nil {
			span.SetAttributes(attrRole.String(p.Role))
		}
		endSpan(span, err)
	}
	return d, err
}

func (g *Gate) decide(ctx context.Context, ref string, p *Principal, acts []Action) (*Decision, error) {
	if p == nil || p.Role == "" {
		return nil, fmt.Errorf("%w: no principal", ErrForbidden)
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("%w: a decision needs an action", ErrForbidden)
	}
	note(ctx, p, acts[0])
	if g.watch != nil {
		aal, _ := p.Claims[ClaimAAL].(string)
		if err := g.watch.Admit(ref, p.KeyID, p.Subject, p.session(), aal); err != nil {
			return nil, err
		}
	}
	d := &Decision{g: g, ref: ref, p: p, acts: acts}
	for _, a := range acts {
		if err := g.authorize(ctx, ref, p, a); err != nil {
			return nil, err
		}
		d.deletes = d.deletes || a.Op == OpDelete
	}
	if g.quota != nil && g.quota.OverQuota(ref) {
		for _, a := range acts {
			if a.Op == OpWrite {
				return nil, fmt.Errorf("%w: %s", ErrOverQuota, a)
			}
		}
		d.overQuota = true
	}
	return d, nil
}

// ErrOverQuota: a write to a project over its size quota. APIs answer it
// with a 4xx of their peer's format.
var ErrOverQuota = errors.New("the project's database is over its size quota; writes are refused")

func (g *Gate) authorize(ctx context.Context, ref string, p *Principal, a Action) error {
	if !p.ScopesAllow(a) {
		return &ForbiddenError{Action: a, Reason: "the key's scopes do not allow it"}
	}
	if len(p.Roles) == 0 {
		return nil
	}
	if g.roles == nil {
		return &ForbiddenError{Action: a, Reason: "roles " + strings.Join(p.Roles, ",") + " cannot be checked here"}
	}
	err := g.roles.AuthorizeRoles(ctx, ref, p, a)
	if errors.Is(err, ErrForbidden) {
		return &ForbiddenError{Action: a, Reason: err.Error()}
	}
	return err
}

// ForbiddenError is the gate's refusal of an action. It wraps
// [ErrForbidden].
type ForbiddenError struct {
	Action Action
	Reason string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrForbidden, e.Action, e.Reason)
}

// Unwrap returns [ErrForbidden].
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// Check is [Gate.Authenticate] then [Gate.Authorize].
func (g *Gate) Check(ctx context.Context, ref string, c Credentials, acts ...Action) (*Decision, error) {
	p, err := g.Authenticate(ctx, ref, c)
	if err != nil {
		return nil, err
	}
	return g.Authorize(ctx, ref, p, acts...)
}

// Decision is a principal's authorization for some actions on one project.
// Only [Gate.Authorize] makes one; it is immutable.
type Decision struct {
	g    *Gate
	ref  string
	p    *Principal
	acts []Action
	// deletes: an action deletes rows; overQuota: the project was over
	// its size quota (statements then run read-only, but for deletes).
	deletes, overQuota bool
}

// Ref is the project the decision is for.
func (d *Decision) Ref() string { return d.ref }

// Principal is who the decision authorized.
func (d *Decision) Principal() *Principal { return d.p }

// Actions are what the decision authorized.
func (d *Decision) Actions() []Action { return d.acts }

// OverQuota reports whether the project was over its size quota when the
// decision was made: a statement refused for being read-only was refused
// for that.
func (d *Decision) OverQuota() bool { return d.overQuota }

// Covers reports whether the decision authorized a.
func (d *Decision) Covers(a Action) bool {
	for _, x := range d.acts {
		if x == a {
			return true
		}
	}
	return false
}

// IsForbidden reports whether err is a refusal by the gate.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// note tells the request's event who acts and on what: the sentinel's
// agents group what they see by this actor and route.
func note(ctx context.Context, p *Principal, a Action) {
	event.NoteFrom(ctx).Set(func(e *event.Event) {
		e.Actor.KeyID, e.Actor.UserID, e.Actor.Session, e.Actor.Role = p.KeyID, p.Subject, p.session(), p.Role
		if e.Route == "" {
			res := a.Topic
			if a.Relation != "" {
				res = a.Schema + "." + a.Relation
				e.Relation = res
			}
			e.Route = a.API + ":" + res
		}
	})
}
