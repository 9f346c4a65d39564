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
	now := s.now()
	key := p.tokenKey(tok)
	if pr, ok := getFresh(s.caches.tokens, key, now); ok {
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
		putUntil(s.caches.tokens, key, pr, now, time.Unix(int64(exp), 0).Add(leeway))
	}
	return pr, nil
}

// parseToken verifies tok and returns its claims.
func (s *Service) parseToken(p *project, tok string) (jwt.MapClaims, error) {
	claims, _, err := s.verifyJWT(p, tok)
	return claims, err
}

type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// decodeHeader decodes a token's JOSE header, kept in the headers cache.
func (s *Service) decodeHeader(h string) (joseHeader, error) {
	if jh, ok, _ := s.caches.headers.Get(context.Background(), h); ok {
		return jh, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return joseHeader{}, fmt.Errorf("%w: bad header encoding", gate.ErrInvalidToken)
	}
	var jh joseHeader
	if err := json.Unmarshal(b, &jh); err != nil {
		return joseHeader{}, fmt.Errorf("%w: bad header", gate.ErrInvalidToken)
	}
	if len(h) < headerMaxLen {
		_ = s.caches.headers.Set(context.Background(), h, jh, 0)
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
	jh, err := s.decodeHeader(h)
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
	// A token must expire, as GoTrue requires: one without exp signed with
	// the project's secret would be valid for ever.
	exp, ok := claims["exp"].(float64)
	if !ok {
		return nil, nil, fmt.Errorf("%w: missing or bad exp claim", gate.ErrInvalidToken)
	}
	if now.After(time.Unix(int64(exp), 0).Add(leeway)) {
		return nil, nil, fmt.Errorf("%w: expired", gate.ErrExpiredToken)
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
