package gate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrBadScope: a scope string that does not parse.
var ErrBadScope = errors.New("bad scope")

// The APIs a scope may name, and the resources each one guards.
const (
	APIRest      = "rest"      // tables, views and functions: schema.relation
	APIGraphQL   = "graphql"   // the same, through GraphQL
	APIRealtime  = "realtime"  // postgres_changes of a table: schema.relation
	APIBroadcast = "broadcast" // broadcast messages on a topic: a topic pattern
	APIPresence  = "presence"  // presence on a topic: a topic pattern
	APIAuth      = "auth"      // auth's admin endpoints: no resource
)

// topicAPI reports whether api's resources are channel topics.
func topicAPI(api string) bool { return api == APIBroadcast || api == APIPresence }

// opsOf are the actions each API knows.
var opsOf = map[string][]Op{
	APIRest:      {OpRead, OpWrite, OpDelete, OpExecute},
	APIGraphQL:   {OpRead, OpWrite, OpDelete, OpExecute},
	APIRealtime:  {OpRead},
	APIBroadcast: {OpRead, OpWrite},
	APIPresence:  {OpRead, OpWrite},
	APIAuth:      {OpAdmin},
}

// Scope is one permission of a scoped API key: API, action and resource,
// written "rest:read:public.todos", "rest:write:*", "realtime:read:public.*",
// "broadcast:write:room:*", "auth:admin". "*" matches anything in its place.
// For table APIs a resource without a schema is in public and "public.*" is
// every relation of a schema; for topic APIs (broadcast, presence) the
// resource is a topic pattern in which "*" matches any run of characters.
type Scope struct {
	API    string // one of the API constants, or *
	Action Op     // one of the API's actions, or *
	// Schema and Relation are a table API's resource: Schema "" with
	// Relation "*" means every resource.
	Schema, Relation string
	// Topic is a topic API's pattern ("*" for every topic).
	Topic string
}

var (
	scopeIdent = regexp.MustCompile(`^(\*|[A-Za-z_][A-Za-z0-9_$-]{0,62})$`)
	// A topic pattern: printable ASCII without spaces, as Supabase topics
	// are written ("room:1", "realtime:public:todos").
	scopeTopic = regexp.MustCompile(`^[!-~]{1,255}$`)
)

// ParseScope parses a scope string.
func ParseScope(s string) (Scope, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return Scope{}, fmt.Errorf("%w %q: want api:action[:resource]", ErrBadScope, s)
	}
	sc := Scope{API: parts[0], Action: Op(parts[1]), Relation: "*"}
	ops, known := opsOf[sc.API]
	if !known && sc.API != "*" {
		return Scope{}, fmt.Errorf("%w %q: unknown api %q (want rest, graphql, realtime, broadcast, presence, auth or *)", ErrBadScope, s, sc.API)
	}
	if !validOp(sc.API, sc.Action, ops) {
		return Scope{}, fmt.Errorf("%w %q: action %q is not one of %s's", ErrBadScope, s, sc.Action, sc.API)
	}
	if topicAPI(sc.API) {
		sc.Relation, sc.Topic = "", "*"
	}
	if len(parts) < 3 {
		return sc, nil
	}
	res := parts[2]
	switch {
	case res == "":
		return Scope{}, fmt.Errorf("%w %q: empty resource", ErrBadScope, s)
	case topicAPI(sc.API):
		if !scopeTopic.MatchString(res) {
			return Scope{}, fmt.Errorf("%w %q: bad topic pattern %q", ErrBadScope, s, res)
		}
		sc.Topic = res
		return sc, nil
	case sc.API == APIAuth:
		if res != "*" {
			return Scope{}, fmt.Errorf("%w %q: %s scopes take no resource", ErrBadScope, s, sc.API)
		}
		return sc, nil
	}
	schema, rel, ok := strings.Cut(res, ".")
	if !ok {
		schema, rel = "public", res
		if res == "*" {
			schema = ""
		}
	}
	if schema != "" && !scopeIdent.MatchString(schema) || !scopeIdent.MatchString(rel) {
		return Scope{}, fmt.Errorf("%w %q: bad resource %q", ErrBadScope, s, res)
	}
	if schema == "*" {
		schema = ""
	}
	sc.Schema, sc.Relation = schema, rel
	return sc, nil
}

func validOp(api string, op Op, ops []Op) bool {
	if op == "*" {
		return true
	}
	if api == "*" {
		for _, list := range opsOf {
			for _, o := range list {
				if o == op {
					return true
				}
			}
		}
		return false
	}
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// ParseScopes parses stored scopes, skipping any that do not parse (a
// scope written by a newer node, say): a key then holds fewer permissions,
// never more. The result is non-nil, so that a key left with no scope may
// do nothing.
func ParseScopes(list []string) []Scope {
	out := make([]Scope, 0, len(list))
	for _, s := range list {
		if sc, err := ParseScope(s); err == nil {
			out = append(out, sc)
		}
	}
	return out
}

// String formats the scope in its canonical form.
func (sc Scope) String() string {
	res := sc.Relation
	switch {
	case sc.Topic != "":
		res = sc.Topic
	case sc.Schema != "":
		res = sc.Schema + "." + sc.Relation
	}
	return sc.API + ":" + string(sc.Action) + ":" + res
}

// Allows reports whether the scope permits a.
func (sc Scope) Allows(a Action) bool {
	if sc.API != "*" && sc.API != a.API {
		return false
	}
	if sc.Action != "*" && sc.Action != a.Op {
		return false
	}
	switch {
	case topicAPI(a.API):
		if sc.Topic == "" { // a table or API-wide scope of API "*"
			return sc.Relation == "*" && sc.Schema == ""
		}
		return globMatch(sc.Topic, a.Topic)
	case sc.Topic != "":
		return false
	}
	if sc.Schema != "" && sc.Schema != a.Schema {
		return false
	}
	return sc.Relation == "*" || sc.Relation == a.Relation
}

// globMatch reports whether s matches pattern, in which "*" matches any run
// of characters (none included) and every other character itself.
func globMatch(pattern, s string) bool {
	first, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for {
		next, after, more := strings.Cut(rest, "*")
		if !more { // the last piece must end s
			return len(s) >= len(next) && strings.HasSuffix(s, next)
		}
		i := strings.Index(s, next)
		if i < 0 {
			return false
		}
		s, rest = s[i+len(next):], after
	}
}

// ScopesAllow reports whether the principal's scopes allow a: always for
// a principal without scopes, else when one of them does.
func (p *Principal) ScopesAllow(a Action) bool {
	if p.Scopes == nil {
		return true
	}
	for _, sc := range p.Scopes {
		if sc.Allows(a) {
			return true
		}
	}
	return false
}
