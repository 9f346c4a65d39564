package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
)

// Header and claim names that security decisions depend on.
const (
	HeaderAPIKey        = "apikey"
	HeaderAuthorization = "Authorization"
	ClaimRole           = "role"
	ClaimSub            = "sub"
	ClaimExp            = "exp"
	ClaimAAL            = "aal"
	ClaimAppMetadata    = "app_metadata"
	ClaimIsAnonymous    = "is_anonymous"
	ClaimSessionID      = "session_id"
)

// session is the principal's session id (the session_id claim), or "".
func (p *Principal) session() string {
	s, _ := p.Claims[ClaimSessionID].(string)
	return s
}

// Principal is who a request acts as.
type Principal struct {
	// Role is the database role the request runs as (SET LOCAL ROLE).
	Role string
	// Claims are the verified JWT claims, exposed to SQL as request.jwt.claims.
	Claims map[string]any
	// ClaimsJSON is Claims encoded once, ready to bind.
	ClaimsJSON []byte
	// Subject is the sub claim (the user id), or "".
	Subject string
	// KeyID names the scoped API key used, when one was.
	KeyID string
	// Scopes restrict a scoped API key ("rest:read:public.todos"); nil means
	// unrestricted (JWTs and the anon/service_role keys), empty means
	// nothing is allowed.
	Scopes []Scope
	// Roles are RBAC roles (app_metadata.roles) for [Authorizer]s.
	Roles []string
}

// Credentials are what a request presented.
type Credentials struct {
	APIKey string // the apikey header
	Bearer string // the token of Authorization: Bearer
	// RemoteIP is the client's address, for API keys with an IP allow-list;
	// "" when the caller does not know it (such keys are then refused).
	RemoteIP string
}

// FromHeaders reads the credentials of an HTTP request's headers.
func FromHeaders(apikey, authorization string) Credentials {
	c := Credentials{APIKey: strings.TrimSpace(apikey)}
	if scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " "); ok && strings.EqualFold(scheme, "bearer") {
		c.Bearer = strings.TrimSpace(tok)
	}
	return c
}

// FromRequest reads the credentials of an HTTP request: its headers, and
// the peer address as RemoteIP (X-Forwarded-For is not trusted here; a
// gateway behind a proxy sets RemoteAddr from trusted hops).
func FromRequest(r *http.Request) Credentials {
	c := FromHeaders(r.Header.Get(HeaderAPIKey), r.Header.Get(HeaderAuthorization))
	if ip := httpx.ClientIP(r.Context()); ip != "" { // the gateway's view, proxies considered
		c.RemoteIP = ip
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.RemoteIP = host
	} else {
		c.RemoteIP = r.RemoteAddr
	}
	return c
}

// Authenticator turns credentials into a principal for project ref.
// Implementations are safe for concurrent use and do no I/O on the hot path
// beyond cached lookups.
type Authenticator interface {
	Authenticate(ctx context.Context, ref string, c Credentials) (*Principal, error)
}

// Action is what a request is about to do, for the [Gate]'s decision.
type Action struct {
	API      string // one of the API constants (APIRest, APIRealtime, …)
	Schema   string
	Relation string // table, view or function name; "*": every relation of Schema
	Topic    string // a realtime channel's topic (APIBroadcast, APIPresence)
	Op       Op
}

// String names the action for error messages: "rest read public.todos".
func (a Action) String() string {
	res := a.Topic
	if res == "" && a.Relation != "" {
		res = a.Schema + "." + a.Relation
	}
	return strings.TrimSpace(a.API + " " + string(a.Op) + " " + res)
}

// Op is the kind of access.
type Op string

// The kinds of access an [Action] asks for.
const (
	OpRead    Op = "read"
	OpWrite   Op = "write"
	OpDelete  Op = "delete"
	OpExecute Op = "execute"
	OpAdmin   Op = "admin"
)

// RoleAuthorizer is the RBAC stage of a decision: whether a principal
// carrying roles (app_metadata.roles, or a key's roles) holds one whose
// permissions cover the action on project ref. It returns nil, or an error
// wrapping [ErrForbidden]. The auth component provides it.
type RoleAuthorizer interface {
	AuthorizeRoles(ctx context.Context, ref string, p *Principal, a Action) error
}

// Errors returned by Authenticators and the Gate. APIs map them to their
// peers' formats (PostgREST's PGRST301/PGRST302, GoTrue's, GraphQL's).
var (
	// ErrNoCredentials: the request presented neither an apikey nor a bearer token.
	ErrNoCredentials = errors.New("no credentials")
	// ErrInvalidToken: a token that is malformed, badly signed, or not for this project.
	ErrInvalidToken = errors.New("invalid token")
	// ErrExpiredToken: a well-signed token past its exp.
	ErrExpiredToken = errors.New("token expired")
	// ErrForbidden: an authenticated principal that may not do the action.
	ErrForbidden = errors.New("forbidden")
)

// SecretAuthenticator verifies HS256 JWTs with the project's secret: the
// authenticator of a deployment without the auth component (tests, tools).
// Verified tokens are kept in a kernel cache, under the secret that
// verified them, until they expire or for at most secretCacheTTL, as the
// auth component keeps its own.
type SecretAuthenticator struct {
	// Secret returns project ref's JWT secret.
	Secret func(ref string) (string, error)
	// AnonymousRole is the role of a request without credentials, or "" to
	// refuse such requests with ErrNoCredentials (PostgREST's db-anon-role).
	AnonymousRole string
	// Leeway tolerates clock skew on exp/nbf/iat. Default 30s.
	Leeway time.Duration

	once  sync.Once
	cache *kernel.MemoryCache[*Principal]
}

const (
	secretCacheTTL = 10 * time.Second
	secretCacheMax = 10_000
)

var _ Authenticator = (*SecretAuthenticator)(nil)

// Authenticate verifies the bearer token if present, else the apikey (which
// for Supabase clients is itself a JWT), and returns its role.
func (a *SecretAuthenticator) Authenticate(ctx context.Context, ref string, c Credentials) (*Principal, error) {
	tok := c.Bearer
	if tok == "" {
		tok = c.APIKey
	}
	if tok == "" {
		if a.AnonymousRole == "" {
			return nil, ErrNoCredentials
		}
		return Anonymous(a.AnonymousRole), nil
	}
	secret, err := a.Secret(ref)
	if err != nil {
		return nil, err
	}
	// The secret is part of the key: a rotated one finds nothing.
	a.once.Do(func() { a.cache = kernel.NewMemoryCache[*Principal](secretCacheMax) })
	key := ref + "\x00" + secret + "\x00" + tok
	if p, ok, _ := a.cache.Get(ctx, key); ok {
		return p, nil
	}
	p, err := VerifyHS256(tok, []byte(secret), a.Leeway)
	if err != nil {
		return nil, err
	}
	if exp, ok := p.Claims[ClaimExp].(float64); ok {
		if ttl := min(time.Until(time.Unix(int64(exp), 0)), secretCacheTTL); ttl > 0 {
			_ = a.cache.Set(ctx, key, p, ttl)
		}
	}
	return p, nil
}

// Anonymous is the principal of a request without credentials.
func Anonymous(role string) *Principal {
	claims := map[string]any{ClaimRole: role}
	b, _ := json.Marshal(claims) // a map of one string cannot fail to encode
	return &Principal{Role: role, Claims: claims, ClaimsJSON: b}
}

// VerifyHS256 verifies tok with secret and builds its principal.
func VerifyHS256(tok string, secret []byte, leeway time.Duration) (*Principal, error) {
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithLeeway(leeway), jwt.WithExpirationRequired())
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, fmt.Errorf("%w: %w", ErrExpiredToken, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return PrincipalFromClaims(claims)
}

// PrincipalFromClaims builds a principal from verified claims.
func PrincipalFromClaims(claims map[string]any) (*Principal, error) {
	role, _ := claims[ClaimRole].(string)
	if role == "" {
		return nil, fmt.Errorf("%w: the token has no role claim", ErrInvalidToken)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p := &Principal{Role: role, Claims: claims, ClaimsJSON: b}
	p.Subject, _ = claims[ClaimSub].(string)
	if md, ok := claims[ClaimAppMetadata].(map[string]any); ok {
		if roles, ok := md["roles"].([]any); ok {
			for _, r := range roles {
				if s, ok := r.(string); ok {
					p.Roles = append(p.Roles, s)
				}
			}
		}
	}
	return p, nil
}
