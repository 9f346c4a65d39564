package gate

import (
	"context"
	"errors"
	"testing"
)

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, canon string
		ok        bool
	}{
		{"rest:read:public.todos", "rest:read:public.todos", true},
		{"rest:write:*", "rest:write:*", true},
		{"rest:read:todos", "rest:read:public.todos", true},
		{"rest:read:app.*", "rest:read:app.*", true},
		{"realtime:read:public.*", "realtime:read:public.*", true},
		{"broadcast:write:room:*", "broadcast:write:room:*", true},
		{"broadcast:read", "broadcast:read:*", true},
		{"presence:*:chat.lobby", "presence:*:chat.lobby", true},
		{"auth:admin", "auth:admin:*", true},
		{"*:*", "*:*:*", true},
		{"*:read:public.todos", "*:read:public.todos", true},
		{"rest", "", false},
		{"rest:fly:x", "", false},
		{"realtime:write:public.todos", "", false}, // realtime only reads
		{"auth:read", "", false},
		{"auth:admin:users", "", false},
		{"storage:read", "", false}, // not an API (yet)
		{"REST:read", "", false},
		{"rest:read:", "", false},
		{"rest:read:a.b.c", "", false},
		{"rest:read:bad name", "", false},
		{"broadcast:read:room 1", "", false},
	}
	for _, tt := range tests {
		sc, err := ParseScope(tt.in)
		if (err == nil) != tt.ok || (tt.ok && sc.String() != tt.canon) {
			t.Errorf("ParseScope(%q) = %v, %v; want %q ok=%v", tt.in, sc, err, tt.canon, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadScope) {
			t.Errorf("ParseScope(%q): %v does not wrap ErrBadScope", tt.in, err)
		}
	}
}

// FuzzParseScope: parsing never panics, and a parsed scope's canonical form
// parses to the same scope.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"rest:read:public.todos", "rest:write:*", "auth:admin", "*:*:*", "a:b:c.d.e", "rest:read:", ":::", "broadcast:*:room:*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(sc.String())
		if err != nil || again != sc {
			t.Fatalf("%q → %q → %v, %v", s, sc.String(), again, err)
		}
	})
}

func TestScopeAllows(t *testing.T) {
	t.Parallel()
	todos := func(api string, op Op) Action { return Action{API: api, Op: op, Schema: "public", Relation: "todos"} }
	topic := func(api string, op Op, tp string) Action { return Action{API: api, Op: op, Topic: tp} }
	tests := []struct {
		scope string
		act   Action
		ok    bool
	}{
		{"rest:read:public.todos", todos(APIRest, OpRead), true},
		{"rest:read:public.todos", todos(APIRest, OpWrite), false},
		{"rest:read:public.todos", todos(APIGraphQL, OpRead), false},
		{"rest:read:public.todos", todos(APIRealtime, OpRead), false},
		{"rest:read:public.*", todos(APIRest, OpRead), true},
		{"rest:read:other.*", todos(APIRest, OpRead), false},
		{"realtime:read:public.todos", todos(APIRealtime, OpRead), true},
		{"realtime:read:public.todos", Action{API: APIRealtime, Op: OpRead, Schema: "public", Relation: "*"}, false},
		{"realtime:read:public.*", Action{API: APIRealtime, Op: OpRead, Schema: "public", Relation: "*"}, true},
		{"realtime:read:public.*", Action{API: APIRealtime, Op: OpRead, Schema: "*", Relation: "*"}, false},
		{"realtime:read:*", Action{API: APIRealtime, Op: OpRead, Schema: "*", Relation: "*"}, true},
		{"broadcast:read:room:*", topic(APIBroadcast, OpRead, "room:1"), true},
		{"broadcast:read:room:*", topic(APIBroadcast, OpRead, "room:"), true},
		{"broadcast:read:room:*", topic(APIBroadcast, OpRead, "lobby"), false},
		{"broadcast:read:room:*", topic(APIBroadcast, OpWrite, "room:1"), false},
		{"broadcast:read:room:*", topic(APIPresence, OpRead, "room:1"), false},
		{"broadcast:*:*:admin", topic(APIBroadcast, OpWrite, "team:7:admin"), true},
		{"broadcast:*:*:admin", topic(APIBroadcast, OpWrite, "team:7:admins"), false},
		{"broadcast:*:a*b*c", topic(APIBroadcast, OpWrite, "abc"), true},
		{"broadcast:*:a*b*c", topic(APIBroadcast, OpWrite, "aXbYc"), true},
		{"broadcast:*:a*b*c", topic(APIBroadcast, OpWrite, "aXcYb"), false},
		{"broadcast:*:room", topic(APIBroadcast, OpWrite, "room:1"), false},
		{"*:*", topic(APIBroadcast, OpWrite, "room:1"), true},
		{"*:*", Action{API: APIAuth, Op: OpAdmin}, true},
		{"*:read:public.todos", topic(APIBroadcast, OpRead, "public.todos"), false},
		{"*:read:public.todos", todos(APIGraphQL, OpRead), true},
		{"*:read:public.todos", Action{API: APIAuth, Op: OpAdmin}, false},
		{"rest:*", Action{API: APIAuth, Op: OpAdmin}, false},
		{"auth:admin", Action{API: APIAuth, Op: OpAdmin}, true},
		{"auth:admin", todos(APIRest, OpRead), false},
	}
	for _, tt := range tests {
		sc, err := ParseScope(tt.scope)
		if err != nil {
			t.Fatalf("%s: %v", tt.scope, err)
		}
		if got := sc.Allows(tt.act); got != tt.ok {
			t.Errorf("%s allows %s = %v, want %v", tt.scope, tt.act, got, tt.ok)
		}
	}
}

func FuzzGlobMatch(f *testing.F) {
	f.Add("room:*", "room:1")
	f.Add("*a*", "banana")
	f.Add("**", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := globMatch(pattern, s)
		if pattern == s && !got {
			t.Fatalf("%q does not match itself", s)
		}
		if pattern == "*" && !got {
			t.Fatalf("* does not match %q", s)
		}
		if got && len(s) < len(pattern)-countStars(pattern) {
			t.Fatalf("%q matched %q, shorter than its literal part", pattern, s)
		}
	})
}

func countStars(s string) int {
	n := 0
	for i := range len(s) {
		if s[i] == '*' {
			n++
		}
	}
	return n
}

// rolesOnly allows actions on relation "open" to principals with roles.
type rolesOnly struct{}

func (rolesOnly) AuthorizeRoles(_ context.Context, ref string, _ *Principal, a Action) error {
	if ref == "p1" && a.Relation == "open" {
		return nil
	}
	return ErrForbidden
}

func TestGateAuthorize(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	authn := &SecretAuthenticator{Secret: func(string) (string, error) { return secret, nil }, AnonymousRole: "anon"}
	withRoles := &Principal{Role: "authenticated", Roles: []string{"editor"}}
	scoped := &Principal{Role: "service_role", Scopes: []Scope{mustScope(t, "rest:read:public.open")}}
	noScopes := &Principal{Role: "service_role", Scopes: []Scope{}}
	open := Action{API: APIRest, Op: OpRead, Schema: "public", Relation: "open"}
	closed := Action{API: APIRest, Op: OpRead, Schema: "public", Relation: "closed"}

	g := New(Options{Authenticator: authn, Roles: rolesOnly{}, Pools: noPools{}})
	bare := New(Options{Authenticator: authn, Pools: noPools{}})
	tests := []struct {
		name string
		g    *Gate
		ref  string
		p    *Principal
		acts []Action
		ok   bool
	}{
		{"plain principal: PostgreSQL decides", bare, "p1", Anonymous("anon"), []Action{open, closed}, true},
		{"scope allows", g, "p1", scoped, []Action{open}, true},
		{"scope refuses one of two", g, "p1", scoped, []Action{open, closed}, false},
		{"empty scopes allow nothing", g, "p1", noScopes, []Action{open}, false},
		{"roles allow", g, "p1", withRoles, []Action{open}, true},
		{"roles refuse", g, "p1", withRoles, []Action{closed}, false},
		{"the project travels to the roles stage", g, "p2", withRoles, []Action{open}, false},
		{"roles without a roles stage fail closed", bare, "p1", withRoles, []Action{open}, false},
		{"no principal", g, "p1", nil, []Action{open}, false},
		{"no action", g, "p1", Anonymous("anon"), nil, false},
	}
	for _, tt := range tests {
		d, err := tt.g.Authorize(ctx, tt.ref, tt.p, tt.acts...)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil {
			if !IsForbidden(err) {
				t.Errorf("%s: %v is not ErrForbidden", tt.name, err)
			}
			continue
		}
		if d.Ref() != tt.ref || d.Principal() != tt.p {
			t.Errorf("%s: decision for %s/%v", tt.name, d.Ref(), d.Principal())
		}
		for _, a := range tt.acts {
			if !d.Covers(a) {
				t.Errorf("%s: decision does not cover %s", tt.name, a)
			}
		}
		if d.Covers(Action{API: APIRest, Op: OpDelete, Schema: "public", Relation: "open"}) {
			t.Errorf("%s: decision covers what it was not asked", tt.name)
		}
	}
	var fe *ForbiddenError
	if _, err := g.Authorize(ctx, "p1", scoped, closed); !errors.As(err, &fe) || fe.Action != closed {
		t.Errorf("refusal %v does not name the action", err)
	}
}

func mustScope(t *testing.T, s string) Scope {
	t.Helper()
	sc, err := ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

type quotaOf map[string]bool

func (q quotaOf) OverQuota(ref string) bool { return q[ref] }

// TestGateQuota: over its quota a project's writes are refused by the
// gate; reads and deletes are decided, and the decision says the project
// is over its quota (its statements then run read-only, but for deletes).
func TestGateQuota(t *testing.T) {
	t.Parallel()
	g := New(Options{Authenticator: &SecretAuthenticator{Secret: func(string) (string, error) { return secret, nil }}, Quota: quotaOf{"full": true}, Pools: noPools{}})
	p := Anonymous("anon")
	act := func(op Op) Action { return Action{API: APIRest, Op: op, Schema: "public", Relation: "t"} }
	if _, err := g.Authorize(t.Context(), "full", p, act(OpRead), act(OpWrite)); !errors.Is(err, ErrOverQuota) {
		t.Errorf("a write over quota: %v, want ErrOverQuota", err)
	}
	for _, op := range []Op{OpRead, OpDelete, OpExecute} {
		d, err := g.Authorize(t.Context(), "full", p, act(op))
		if err != nil || !d.OverQuota() {
			t.Errorf("%s over quota: %v, over quota %v", op, err, d != nil && d.OverQuota())
		}
	}
	if d, err := g.Authorize(t.Context(), "roomy", p, act(OpWrite)); err != nil || d.OverQuota() {
		t.Errorf("a write within quota: %v", err)
	}
}
