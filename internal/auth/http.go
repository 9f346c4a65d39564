package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/pgcode"
)

// Prefix is where the service is mounted on the gateway.
const Prefix = "/auth/v1/"

// maxBody bounds request bodies.
const maxBody = 1 << 20

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *project) error

// Handler returns the HTTP API, to mount at [Prefix].
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h handlerFunc, open bool) {
		method, path, _ := strings.Cut(pattern, " ")
		if method != "" {
			method += " "
		}
		mux.Handle(method+"/auth/v1"+path, s.wrap(h, open))
	}
	route("GET /health", s.handleHealth, true)
	route("GET /settings", s.handleSettings, false)
	route("GET /.well-known/jwks.json", s.handleJWKS, true)
	route("POST /signup", s.handleSignup, false)
	route("POST /token", s.handleToken, false)
	route("GET /user", s.handleGetUser, false)
	route("PUT /user", s.handleUpdateUser, false)
	route("POST /logout", s.handleLogout, false)
	route("POST /recover", s.handleRecover, false)
	route("GET /verify", s.handleVerifyGet, true)
	route("POST /verify", s.handleVerifyPost, false)
	route("POST /otp", s.handleOTP, false)
	route("POST /magiclink", s.handleOTP, false)
	route("POST /resend", s.handleResend, false)
	route("GET /reauthenticate", s.handleReauthenticate, false)
	route("POST /invite", s.handleInvite, false)
	route("POST /factors", s.handleEnroll, false)
	route("POST /factors/{id}/challenge", s.handleChallenge, false)
	route("POST /factors/{id}/verify", s.handleFactorVerify, false)
	route("DELETE /factors/{id}", s.handleUnenroll, false)
	route("GET /admin/users", s.admin(s.handleAdminListUsers), false)
	route("POST /admin/users", s.admin(s.handleAdminCreateUser), false)
	route("GET /admin/users/{id}", s.admin(s.handleAdminGetUser), false)
	route("PUT /admin/users/{id}", s.admin(s.handleAdminUpdateUser), false)
	route("DELETE /admin/users/{id}", s.admin(s.handleAdminDeleteUser), false)
	route("GET /admin/users/{id}/factors", s.admin(s.handleAdminListFactors), false)
	route("DELETE /admin/users/{id}/factors/{fid}", s.admin(s.handleAdminDeleteFactor), false)
	route("PUT /admin/users/{id}/roles", s.admin(s.handleAdminSetUserRoles), false)
	route("GET /admin/users/{id}/sessions", s.admin(s.handleAdminListSessions), false)
	route("DELETE /admin/users/{id}/sessions", s.admin(s.handleAdminDeleteSessions), false)
	route("DELETE /admin/users/{id}/sessions/{sid}", s.admin(s.handleAdminDeleteSessions), false)
	route("POST /admin/generate_link", s.admin(s.handleGenerateLink), false)
	route("GET /admin/keys", s.admin(s.handleListKeys), false)
	route("POST /admin/keys", s.admin(s.handleCreateKey), false)
	route("DELETE /admin/keys/{id}", s.admin(s.handleRevokeKey), false)
	route("GET /admin/roles", s.admin(s.handleListRoles), false)
	route("POST /admin/roles", s.admin(s.handlePutRole), false)
	route("DELETE /admin/roles/{name}", s.admin(s.handleDeleteRole), false)
	route("POST /admin/signing_keys/rotate", s.admin(s.handleRotateKeys), false)
	s.routeDisabled(route)
	mux.Handle("/auth/v1/", s.wrap(func(http.ResponseWriter, *http.Request, *project) error {
		return apiErr(http.StatusNotFound, "not_found", "Not found")
	}, true))
	return mux
}

// wrap resolves the project, checks the apikey unless open, and writes errors.
func (s *Service) wrap(h handlerFunc, open bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		p, err := s.project(r.Context(), httpx.ProjectRef(r.Context()))
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), cfgKey{}, p.cfg))
		}
		if err == nil && !open {
			err = s.checkAPIKey(r.Context(), p, r)
		}
		if err == nil {
			err = h(w, r, p)
		}
		noteOutcome(r, err)
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// checkAPIKey requires an apikey (or bearer) that is one of the project's
// keys or tokens, as Supabase's API gateway does in front of GoTrue; with
// the project's api_key_optional a request that sends neither passes, as
// the Supabase CLI's local gateway lets it.
func (s *Service) checkAPIKey(ctx context.Context, p *project, r *http.Request) error {
	c := credentials(r)
	if c.APIKey == "" && c.Bearer == "" {
		if p.cfg.APIKeyOptional {
			return nil
		}
		return apiErr(http.StatusUnauthorized, "no_api_key", "No API key found in request")
	}
	key := c.APIKey
	if key == "" {
		key = c.Bearer
	}
	if _, err := s.authenticate(ctx, p, key, c.RemoteIP); err != nil {
		if errors.Is(err, gate.ErrExpiredToken) {
			return apiErr(http.StatusUnauthorized, "bad_jwt", "invalid JWT: token is expired")
		}
		return apiErr(http.StatusUnauthorized, "invalid_api_key", "Invalid API key")
	}
	return nil
}

func credentials(r *http.Request) gate.Credentials {
	return gate.FromRequest(r)
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ref *httpx.Refusal
	if errors.As(err, &ref) {
		ref.SetRetryAfter(w.Header(), s.now())
		httpx.WriteJSON(w, ref.Status(), map[string]any{"code": ref.Status(), "error_code": httpx.CodeSentinel, "msg": ref.Message()})
		return
	}
	var e *Error
	if errors.As(err, &e) {
		body := map[string]any{"code": e.Status, "error_code": e.Code, "msg": e.Msg}
		maps.Copy(body, e.Extra)
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		}
		httpx.WriteJSON(w, e.Status, body)
		return
	}
	var oe *oauthError
	if errors.As(err, &oe) {
		writeOAuthError(w, oe)
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		httpx.WriteJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"code": 413, "error_code": "request_too_large", "msg": "Request body too large"})
		return
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		httpx.WriteJSON(w, http.StatusGatewayTimeout, map[string]any{"code": 504, "error_code": "request_timeout", "msg": "Processing this request timed out, please retry after a moment."})
		return
	case pgcode.Unavailable(err):
		// PostgreSQL is down, starting, in recovery or dropped the
		// connection: the client may retry.
		w.Header().Set("Retry-After", "1")
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"code": 503, "error_code": "unexpected_failure", "msg": "The database is unavailable, please retry after a moment."})
		return
	}
	id := errorID()
	s.log.ErrorContext(r.Context(), "auth request failed", "error_id", id, "request_id", httpx.RequestID(r.Context()), "path", r.URL.Path, "err", err)
	httpx.WriteJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "error_code": "unexpected_failure", "msg": "Unexpected failure, please check server logs for more information", "error_id": id})
}

func errorID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decode reads a JSON body into v; an empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err != nil {
		return badRequest("bad_json", "Could not read the request body: "+err.Error())
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	// JSON decoding would turn invalid UTF-8 into U+FFFD and store it so.
	if !utf8.Valid(b) {
		return badRequest("bad_json", "Could not parse request body as JSON: the body is not valid UTF-8")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("bad_json", "Could not parse request body as JSON: "+err.Error())
	}
	return nil
}

// clientIP is the client's address as the gateway worked it out (through
// its trusted proxies only), else the peer's.
func clientIP(r *http.Request) string {
	if ip := httpx.ClientIP(r.Context()); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// externalURL is the configured public URL, else the request's origin;
// for a project reached at /p/{ref}/ (the gateway strips the prefix) it
// keeps that prefix, so that links and iss point back at the same project.
func (s *Service) externalURL(r *http.Request) string {
	base := strings.TrimRight(s.cfg.ExternalURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	if ref := httpRef(r); ref != httpx.DefaultProject && strings.HasPrefix(r.RequestURI, "/p/"+ref+"/") {
		base += "/p/" + ref
	}
	return base
}

// redirectTo returns want if it is allowed (site URL or an additional
// redirect URL prefix), else the site URL.
func (s *Service) redirectTo(r *http.Request, want string) string {
	site := s.conf(r.Context()).SiteURL
	if site == "" {
		site = s.externalURL(r)
	}
	if want == "" {
		return site
	}
	u, err := url.Parse(want)
	if err != nil || u.Host == "" {
		return site
	}
	for _, allowed := range append([]string{site}, s.conf(r.Context()).AdditionalRedirectURLs...) {
		a, err := url.Parse(allowed)
		if err != nil || a.Host == "" {
			continue
		}
		// Same scheme and host exactly; the path under the allowed one.
		if a.Scheme == u.Scheme && strings.EqualFold(a.Host, u.Host) &&
			strings.HasPrefix(u.Path, strings.TrimRight(a.Path, "/")) {
			return want
		}
	}
	// A loopback app on a local install is always fine.
	if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
		return want
	}
	return site
}

// requestUser is the authenticated caller of a user endpoint.
type requestUser struct {
	user      *user
	claims    jwt.MapClaims
	sessionID string
}

// userFromRequest verifies the bearer token, and that its session still
// exists (sign-out and refresh-token reuse end sessions).
func (s *Service) userFromRequest(ctx context.Context, p *project, r *http.Request) (*requestUser, error) {
	c := credentials(r)
	if c.Bearer == "" {
		return nil, errNoAuthorization
	}
	claims, err := s.parseToken(p, c.Bearer)
	if err != nil {
		if errors.Is(err, gate.ErrExpiredToken) {
			return nil, apiErr(http.StatusForbidden, "bad_jwt", "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired")
		}
		return nil, errBadJWT
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return nil, apiErr(http.StatusForbidden, "bad_jwt", "invalid claim: missing sub claim")
	}
	u, err := userByID(ctx, p.pool, sub)
	if errors.Is(err, errUserNotFound) {
		return nil, apiErr(http.StatusForbidden, "user_not_found", "User from sub claim in JWT does not exist")
	}
	if err != nil {
		return nil, err
	}
	sid, _ := claims[claimSessionID].(string)
	if sid != "" {
		var ok bool
		if err := p.pool.QueryRow(ctx, `select exists (select from auth.sessions where id = $1)`, sid).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, errSessionNotFound
		}
	}
	return &requestUser{user: u, claims: claims, sessionID: sid}, nil
}

// admin requires the service_role, or a scoped key with auth:admin.
func (s *Service) admin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *project) error {
		c := credentials(r)
		tok := c.Bearer
		if tok == "" {
			tok = c.APIKey
		}
		if tok == "" {
			return errNoAuthorization
		}
		pr, err := s.authenticate(r.Context(), p, tok, c.RemoteIP)
		if err != nil {
			return errBadJWT
		}
		if pr.Role != "service_role" {
			return errNotAdmin
		}
		if !pr.ScopesAllow(gate.Action{API: gate.APIAuth, Op: gate.OpAdmin}) {
			return errNotAdmin
		}
		return h(w, r, p)
	}
}

func (s *Service) handleHealth(w http.ResponseWriter, _ *http.Request, _ *project) error {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"version": "mobo", "name": "GoTrue", "description": "MagFlock auth (GoTrue-compatible)"})
	return nil
}

func (s *Service) handleSettings(w http.ResponseWriter, r *http.Request, _ *project) error {
	cfg := s.conf(r.Context())
	external := map[string]bool{"email": true, "phone": s.phoneEnabled(), "anonymous_users": !cfg.DisableAnonymous, "saml": false, "web3_solana": false, "web3_ethereum": false}
	for _, p := range oauthProviders {
		external[p] = false
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"external":           external,
		"disable_signup":     cfg.DisableSignup,
		"mailer_autoconfirm": !cfg.EnableConfirmations,
		"phone_autoconfirm":  !cfg.EnableConfirmations,
		"sms_provider":       "custom",
		"saml_enabled":       false,
	})
	return nil
}

// phoneEnabled reports whether phone sign-in can send codes: an SMS sender,
// or at least test numbers.
func (s *Service) phoneEnabled() bool { return s.hasSMS || len(s.cfg.SMS.TestOTP) > 0 }

func (s *Service) handleJWKS(w http.ResponseWriter, _ *http.Request, p *project) error {
	w.Header().Set("Cache-Control", "public, max-age=600")
	httpx.WriteJSON(w, http.StatusOK, p.keys.jwks())
	return nil
}
