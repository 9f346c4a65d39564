package auth

import (
	"fmt"
	"regexp"
	"strings"
)

// Scope is one permission of a scoped API key: API, action and resource,
// written "rest:read:public.todos", "rest:write:*", "graphql:read",
// "auth:admin". "*" matches anything in its place; a resource without a
// schema is in public; "public.*" is every relation of a schema.
type Scope struct {
	API      string // rest, graphql, realtime, auth, or *
	Action   string // read, write, delete, execute, admin, or *
	Schema   string // "" with Relation "*" means every resource
	Relation string
}

var (
	scopeWord  = regexp.MustCompile(`^(\*|[a-z][a-z0-9_]{0,31})$`)
	scopeIdent = regexp.MustCompile(`^(\*|[A-Za-z_][A-Za-z0-9_$-]{0,62})$`)
)

// ParseScope parses a scope string.
func ParseScope(s string) (Scope, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return Scope{}, fmt.Errorf("%w %q: want api:action[:resource]", ErrBadScope, s)
	}
	sc := Scope{API: parts[0], Action: parts[1], Relation: "*"}
	if !scopeWord.MatchString(sc.API) {
		return Scope{}, fmt.Errorf("%w %q: bad api %q", ErrBadScope, s, sc.API)
	}
	switch sc.Action {
	case "read", "write", "delete", "execute", "admin", "*":
	default:
		return Scope{}, fmt.Errorf("%w %q: action %q, want read, write, delete, execute, admin or *", ErrBadScope, s, sc.Action)
	}
	if len(parts) == 3 {
		res := parts[2]
		if res == "" {
			return Scope{}, fmt.Errorf("%w %q: empty resource", ErrBadScope, s)
		}
		schema, rel, ok := strings.Cut(res, ".")
		if !ok {
			if res == "*" {
				schema, rel = "", "*"
			} else {
				schema, rel = "public", res
			}
		}
		if schema != "" && !scopeIdent.MatchString(schema) || !scopeIdent.MatchString(rel) {
			return Scope{}, fmt.Errorf("%w %q: bad resource %q", ErrBadScope, s, res)
		}
		if schema == "*" {
			schema = ""
		}
		sc.Schema, sc.Relation = schema, rel
	}
	return sc, nil
}

// String formats the scope in its canonical form.
func (sc Scope) String() string {
	res := sc.Relation
	if sc.Schema != "" {
		res = sc.Schema + "." + sc.Relation
	}
	return sc.API + ":" + sc.Action + ":" + res
}

// Allows reports whether the scope permits action on api's resource
// (schema.relation; "" for API-wide actions such as auth:admin).
func (sc Scope) Allows(api, action, schema, relation string) bool {
	if sc.API != "*" && sc.API != api {
		return false
	}
	if sc.Action != "*" && sc.Action != action {
		return false
	}
	if sc.Schema != "" && sc.Schema != schema {
		return false
	}
	return sc.Relation == "*" || sc.Relation == relation
}

// scopesAllow reports whether any of scopes permits the action; resource is
// "schema.relation" or "".
func scopesAllow(scopes []string, api, action, resource string) bool {
	schema, rel, _ := strings.Cut(resource, ".")
	for _, s := range scopes {
		sc, err := ParseScope(s)
		if err == nil && sc.Allows(api, action, schema, rel) {
			return true
		}
	}
	return false
}
