package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
)

// leeway tolerates clock skew on exp, nbf and iat.
const leeway = 30 * time.Second

// Authenticator implements [gate.Authenticator] for the API components:
// HS256 tokens signed with the project secret, RS256/ES256 tokens signed by
// one of the project's keys (by kid), and scoped secret API keys.
type Authenticator struct {
	s *Service
	// AnonymousRole is the role of a request without credentials, or "" to
	// refuse such requests with [gate.ErrNoCredentials].
	AnonymousRole string
}

var _ gate.Authenticator = (*Authenticator)(nil)

// Authenticator returns the service's [gate.Authenticator].
func (s *Service) Authenticator(anonymousRole string) *Authenticator {
	return &Authenticator{s: s, AnonymousRole: anonymousRole}
}

// Authenticate implements [gate.Authenticator]. The bearer token wins over
// the apikey, as in Supabase.
func (a *Authenticator) Authenticate(ctx context.Context, ref string, c gate.Credentials) (*gate.Principal, error) {
	tok := c.Bearer
	if tok == "" {
		tok = c.APIKey
	}
	if tok == "" {
		if a.AnonymousRole == "" {
			return nil, gate.ErrNoCredentials
		}
		return gate.Anonymous(a.AnonymousRole), nil
	}
	p, err := a.s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.s.authenticate(ctx, p, tok, c.RemoteIP)
}

// authenticate turns a JWT or a scoped API key into a principal.
func (s *Service) authenticate(ctx context.Context, p *project, tok, ip string) (*gate.Principal, error) {
	if strings.HasPrefix(tok, apiKeyPrefix) {
		return s.authenticateKey(ctx, p, tok, ip)
	}
	if pr, ok := p.tokens.get(tok, s.now()); ok {
		return pr, nil
	}
	claims, payload, err := s.verifyJWT(p, tok)
	if err != nil {
		return nil, err
	}
	pr, err := principalFromClaims(claims, payload)
	if err != nil {
		return nil, err
	}
	if exp, ok := claims["exp"].(float64); ok {
		p.tokens.put(tok, pr, time.Unix(int64(exp), 0).Add(leeway))
	}
	return pr, nil
}

// tokenCache remembers verified tokens until they expire: a client sends the
// same token with every request, and verification (HMAC, JSON decoding, or
// an RSA/ECDSA check) is most of the cost of authenticating. Principals in
// it are shared and must not be modified. It is cleared when signing keys
// change, and holds at most tokenCacheMax entries (cleared when full).
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]tokenCacheEntry
	// off disables the cache (benchmarks of the cold path).
	off bool
}

type tokenCacheEntry struct {
	p   *gate.Principal
	exp time.Time
}

const tokenCacheMax = 20_000

func (c *tokenCache) get(tok string, now time.Time) (*gate.Principal, bool) {
	if c.off {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[tok]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return nil, false
	}
	return e.p, true
}

func (c *tokenCache) put(tok string, p *gate.Principal, exp time.Time) {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= tokenCacheMax {
		c.m = make(map[string]tokenCacheEntry, 1024)
	}
	c.m[tok] = tokenCacheEntry{p: p, exp: exp}
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// parseToken verifies tok and returns its claims.
func (s *Service) parseToken(p *project, tok string) (jwt.MapClaims, error) {
	claims, _, err := s.verifyJWT(p, tok)
	return claims, err
}

// headerCache remembers decoded JOSE headers: a project's tokens share a
// handful of them, and decoding is a good share of a verification.
var headerCache sync.Map // string -> joseHeader

type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func decodeHeader(h string) (joseHeader, error) {
	if v, ok := headerCache.Load(h); ok {
		return v.(joseHeader), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return joseHeader{}, fmt.Errorf("%w: bad header encoding", gate.ErrInvalidToken)
	}
	var jh joseHeader
	if err := json.Unmarshal(b, &jh); err != nil {
		return joseHeader{}, fmt.Errorf("%w: bad header", gate.ErrInvalidToken)
	}
	if len(h) < 256 {
		headerCache.Store(h, jh)
	}
	return jh, nil
}

// verifyJWT checks tok's signature (HS256 with the secret, or RS256/ES256
// with the key named by kid) and its time claims. It returns the claims and
// the payload JSON, which becomes the principal's ClaimsJSON as it is.
func (s *Service) verifyJWT(p *project, tok string) (jwt.MapClaims, []byte, error) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return nil, nil, fmt.Errorf("%w: not a JWT", gate.ErrInvalidToken)
	}
	payload64, sig64, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig64, ".") {
		return nil, nil, fmt.Errorf("%w: not a JWT", gate.ErrInvalidToken)
	}
	jh, err := decodeHeader(h)
	if err != nil {
		return nil, nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(sig64)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: bad signature encoding", gate.ErrInvalidToken)
	}
	signed := tok[:len(h)+1+len(payload64)]
	switch jh.Alg {
	case "HS256":
		mac := hmac.New(sha256.New, p.secret)
		_, _ = mac.Write([]byte(signed))
		if subtle.ConstantTimeCompare(mac.Sum(nil), sig) != 1 {
			return nil, nil, fmt.Errorf("%w: signature is invalid", gate.ErrInvalidToken)
		}
	case "RS256", "ES256":
		key, ok := p.keys.verifyKey(jh.Kid)
		if !ok || key.alg != jh.Alg {
			return nil, nil, fmt.Errorf("%w: unknown signing key %q", gate.ErrInvalidToken, jh.Kid)
		}
		if err := jwt.GetSigningMethod(jh.Alg).Verify(signed, sig, key.pub); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", gate.ErrInvalidToken, err)
		}
	default:
		return nil, nil, fmt.Errorf("%w: algorithm %q not accepted", gate.ErrInvalidToken, jh.Alg)
	}
	payload, err := base64.RawURLEncoding.DecodeString(payload64)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: bad payload encoding", gate.ErrInvalidToken)
	}
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, nil, fmt.Errorf("%w: bad payload", gate.ErrInvalidToken)
	}
	now := s.now()
	if exp, ok := claims["exp"].(float64); ok {
		if now.After(time.Unix(int64(exp), 0).Add(leeway)) {
			return nil, nil, fmt.Errorf("%w: expired", gate.ErrExpiredToken)
		}
	} else if _, present := claims["exp"]; present {
		return nil, nil, fmt.Errorf("%w: bad exp", gate.ErrInvalidToken)
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Add(leeway).Before(time.Unix(int64(nbf), 0)) {
		return nil, nil, fmt.Errorf("%w: not valid yet", gate.ErrInvalidToken)
	}
	return claims, payload, nil
}

// principalFromClaims is gate.PrincipalFromClaims without re-encoding:
// the verified payload is the claims JSON.
func principalFromClaims(claims map[string]any, payload []byte) (*gate.Principal, error) {
	role, _ := claims[gate.ClaimRole].(string)
	if role == "" {
		return nil, fmt.Errorf("%w: the token has no role claim", gate.ErrInvalidToken)
	}
	pr := &gate.Principal{Role: role, Claims: claims, ClaimsJSON: payload}
	pr.Subject, _ = claims[gate.ClaimSub].(string)
	if md, ok := claims[gate.ClaimAppMetadata].(map[string]any); ok {
		if roles, ok := md["roles"].([]any); ok {
			for _, r := range roles {
				if s, ok := r.(string); ok {
					pr.Roles = append(pr.Roles, s)
				}
			}
		}
	}
	return pr, nil
}

var errKeyRefused = errors.New("api key refused")
