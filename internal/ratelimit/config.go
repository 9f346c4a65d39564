package ratelimit

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Off, as a route's limit for a dimension, lifts the default for that
// dimension on that route.
const Off = "off"

// Config is the rate limiting of one project: default rules per dimension
// and per-route overrides. The zero value limits nothing.
//
//	[rate_limit.default]
//	ip = "100/s burst 200"
//	apikey = "1000/s"
//
//	[[rate_limit.routes]]
//	pattern = "POST /auth/v1/token"
//	limits = { ip = "30/5m", email = "10/h" }
type Config struct {
	// Default maps a dimension to its rule on every route.
	Default map[string]string `toml:"default" json:"default,omitempty"`
	// Routes override the defaults; the first route that matches a
	// request applies.
	Routes []RouteRule `toml:"routes" json:"routes,omitempty"`
}

// RouteRule sets the limits of the requests matching Pattern. Pattern is an
// optional method and a path: "POST /auth/v1/token" matches that path
// exactly; "/rest/v1/*" matches /rest/v1 and everything below it, for any
// method. A GET pattern also matches HEAD. Limits maps dimensions to rules,
// merged over [Config.Default]; the rule [Off] removes a default. A route's
// buckets are its own, not shared with the defaults or other routes.
type RouteRule struct {
	Pattern string            `toml:"pattern" json:"pattern"`
	Limits  map[string]string `toml:"limits" json:"limits,omitempty"`
}

// Validate reports every problem in c, each wrapping [ErrInvalidConfig].
func (c Config) Validate() error {
	_, err := c.Compile()
	return err
}

// Match returns the rules that apply to a request, by dimension, or nil if
// none does. It compiles c on every call and skips what does not parse;
// validate c first, and compile it once ([Config.Compile]) on hot paths.
func (c Config) Match(method, path string) map[string]Rule {
	p, _ := c.compile()
	return p.Match(method, path)
}

// Compile validates c and returns its [Policy].
func (c Config) Compile() (*Policy, error) {
	p, errs := c.compile()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return p, nil
}

// Policy is a compiled [Config]. It is immutable and safe for concurrent use.
type Policy struct {
	defaults []limit
	routes   []route
}

type limit struct {
	dim  string
	rule Rule
}

type route struct {
	pattern string // as written: the scope of its buckets
	method  string // "" for any
	path    string // cleaned; for a prefix, without the "/*"
	prefix  bool
	limits  []limit // merged over the defaults, sorted by dimension
}

func (c Config) compile() (*Policy, []error) {
	var errs []error
	defaults, derrs := compileLimits("default", c.Default)
	errs = append(errs, derrs...)
	p := &Policy{defaults: mergeLimits(defaults, nil)}
	seen := map[string]bool{}
	for i, rr := range c.Routes {
		where := fmt.Sprintf("route %d (%q)", i, rr.Pattern)
		rt, err := parsePattern(rr.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		key := rt.method + " " + rt.path + fmt.Sprint(rt.prefix)
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s: the same pattern as an earlier route, so it never applies", where))
			continue
		}
		seen[key] = true
		own, lerrs := compileLimits(where, rr.Limits)
		errs = append(errs, lerrs...)
		rt.limits = mergeLimits(defaults, own)
		p.routes = append(p.routes, rt)
	}
	return p, errs
}

// compileLimits parses a dimension → rule map; an [Off] rule is kept as a
// limit with a zero Rule.
func compileLimits(where string, m map[string]string) ([]limit, []error) {
	var out []limit
	var errs []error
	for _, dim := range slices.Sorted(maps.Keys(m)) {
		if err := checkDimension(dim); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		text := m[dim]
		if strings.EqualFold(strings.TrimSpace(text), Off) {
			if where == "default" {
				errs = append(errs, fmt.Errorf("default: dimension %q: %q only lifts a default on a route; leave the dimension out instead", dim, Off))
				continue
			}
			out = append(out, limit{dim: dim})
			continue
		}
		r, err := ParseRule(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: dimension %q: %w", where, dim, err))
			continue
		}
		out = append(out, limit{dim: dim, rule: r})
	}
	return out, errs
}

// mergeLimits returns base overridden by over, without the Off entries,
// sorted by dimension.
func mergeLimits(base, over []limit) []limit {
	m := make(map[string]Rule, len(base)+len(over))
	for _, l := range base {
		m[l.dim] = l.rule
	}
	for _, l := range over {
		m[l.dim] = l.rule
	}
	var out []limit
	for _, dim := range slices.Sorted(maps.Keys(m)) {
		if m[dim] != (Rule{}) {
			out = append(out, limit{dim: dim, rule: m[dim]})
		}
	}
	return out
}

func checkDimension(dim string) error {
	if dim == "" || len(dim) > 32 {
		return fmt.Errorf("dimension %q: want 1 to 32 characters", dim)
	}
	for i, c := range dim {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')) {
			return fmt.Errorf("dimension %q: want lowercase letters, digits, _ or -, starting with a letter or _", dim)
		}
	}
	return nil
}

func parsePattern(p string) (route, error) {
	rt := route{pattern: p}
	rest := strings.TrimSpace(p)
	if method, after, ok := strings.Cut(rest, " "); ok {
		for _, c := range method {
			if c < 'A' || c > 'Z' {
				return route{}, fmt.Errorf("method %q: want an uppercase HTTP method", method)
			}
		}
		rt.method, rest = method, strings.TrimSpace(after)
	}
	if !strings.HasPrefix(rest, "/") {
		return route{}, fmt.Errorf("path %q: want a path starting with /", rest)
	}
	if base, ok := strings.CutSuffix(rest, "/*"); ok {
		rt.prefix, rest = true, base
	}
	for _, c := range rest {
		if c == '*' || c < 0x20 || c == 0x7f || c == ' ' {
			return route{}, fmt.Errorf("path %q: * is allowed only as a final /*, and no spaces or control characters", rest)
		}
	}
	rt.path = cleanPath(rest)
	if rt.prefix && rt.path == "/" {
		rt.path = ""
	}
	return rt, nil
}

// cleanPath cleans a request path so that "/auth/v1//token/" or
// "/auth/v1/x/../token" cannot slip past the limits of "/auth/v1/token".
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	return path.Clean("/" + p)
}

func (rt *route) matches(method, p string) bool {
	if rt.method != "" && rt.method != method && (rt.method != "GET" || method != "HEAD") {
		return false
	}
	if !rt.prefix {
		return p == rt.path
	}
	return p == rt.path || strings.HasPrefix(p, rt.path+"/") || rt.path == ""
}

// find returns the pattern and limits for a request.
func (p *Policy) find(method, path string) (string, []limit) {
	if p == nil {
		return "", nil
	}
	path = cleanPath(path)
	for i := range p.routes {
		if p.routes[i].matches(method, path) {
			return p.routes[i].pattern, p.routes[i].limits
		}
	}
	return "", p.defaults
}

// Match returns the rules that apply to a request, by dimension, or nil.
func (p *Policy) Match(method, path string) map[string]Rule {
	_, limits := p.find(method, path)
	if len(limits) == 0 {
		return nil
	}
	m := make(map[string]Rule, len(limits))
	for _, l := range limits {
		m[l.dim] = l.rule
	}
	return m
}

// Keys returns the keys of a request for [Limiter.Check], in dimension
// order, scoped to the matched route. value gives the client's value in a
// dimension ("" when the request has none, e.g. no user: that dimension is
// skipped); it is called only for the dimensions that have a rule.
func (p *Policy) Keys(method, path string, value func(dimension string) string) []Key {
	scope, limits := p.find(method, path)
	var keys []Key
	for _, l := range limits {
		if v := value(l.dim); v != "" {
			keys = append(keys, Key{Dimension: l.dim, Value: v, Rule: l.rule, Scope: scope})
		}
	}
	return keys
}
