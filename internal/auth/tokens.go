package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pgcode"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// Claim names beyond those authn names.
const (
	claimAud       = "aud"
	claimEmail     = "email"
	claimPhone     = "phone"
	claimUserMeta  = "user_metadata"
	claimAMR       = "amr"
	claimSessionID = "session_id"
	claimIss       = "iss"
	claimIat       = "iat"
	claimKid       = "kid"
)

// amrEntry is one authentication method of a session.
type amrEntry struct {
	Method    string `json:"method"`
	Timestamp int64  `json:"timestamp"`
}

// session is a row of auth.sessions with what tokens need.
type session struct {
	ID       string
	UserID   string
	AAL      string
	FactorID *string
}

// tokenResponse is Supabase Auth's session response.
type tokenResponse struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type"`
	ExpiresIn    int            `json:"expires_in"`
	ExpiresAt    int64          `json:"expires_at"`
	RefreshToken string         `json:"refresh_token"`
	User         *userJSON      `json:"user"`
	WeakPassword map[string]any `json:"weak_password,omitempty"`
}

// accessToken signs an access token for u in session sess.
func (s *Service) accessToken(p *project, issuer string, u *user, sess *session, amr []amrEntry) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(p.cfg.JWTExpiry)
	if amr == nil {
		amr = []amrEntry{}
	}
	claims := jwt.MapClaims{
		claimIss:       issuer,
		claimAud:       u.Aud,
		"exp":          exp.Unix(),
		claimIat:       now.Unix(),
		"sub":          u.ID,
		claimEmail:     u.Email,
		claimPhone:     u.Phone,
		"app_metadata": u.AppMetaData,
		claimUserMeta:  u.UserMetaData,
		"role":         u.Role,
		"aal":          sess.AAL,
		claimAMR:       amr,
		claimSessionID: sess.ID,
		"is_anonymous": u.IsAnonymous,
	}
	if u.Aud == "" {
		claims[claimAud] = "authenticated"
	}
	tok, err := p.keys.sign(claims)
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// issuer is the iss claim: the auth API's URL.
func (s *Service) issuer(r *http.Request) string { return s.externalURL(r) + "/auth/v1" }

// newSession creates a session with its first refresh token for u,
// authenticated by method, and returns the session response.
func (s *Service) newSession(ctx context.Context, tx pgx.Tx, p *project, r *http.Request, u *user, method string) (*tokenResponse, error) {
	id, err := newUUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess := &session{ID: id, UserID: u.ID, AAL: "aal1"}
	if _, err := tx.Exec(ctx, `insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
		values ($1, $2, $3, $3, 'aal1', $4, nullif($5, '')::inet)`, id, u.ID, now, r.UserAgent(), clientIP(r)); err != nil {
		return nil, fmt.Errorf("creating a session: %w", err)
	}
	if _, err := tx.Exec(ctx, `insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method) values ($1, $2, $2, $3)`,
		id, now, method); err != nil {
		return nil, fmt.Errorf("recording the session's method: %w", err)
	}
	if _, err := tx.Exec(ctx, `update auth.users set last_sign_in_at = $2, updated_at = $2 where id = $1`, u.ID, now); err != nil {
		return nil, fmt.Errorf("recording the sign-in: %w", err)
	}
	u.LastSignInAt = &now
	rt, err := insertRefreshToken(ctx, tx, u.ID, id, "", now)
	if err != nil {
		return nil, err
	}
	return s.sessionResponse(ctx, tx, p, r, u, sess, rt)
}

// sessionResponse signs an access token for sess and wraps it with refresh token rt.
func (s *Service) sessionResponse(ctx context.Context, q querier, p *project, r *http.Request, u *user, sess *session, rt string) (*tokenResponse, error) {
	amr, err := sessionAMR(ctx, q, sess.ID)
	if err != nil {
		return nil, err
	}
	at, exp, err := s.accessToken(p, s.issuer(r), u, sess, amr)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{
		AccessToken: at, TokenType: "bearer", ExpiresIn: int(p.cfg.JWTExpiry / time.Second), ExpiresAt: exp.Unix(),
		RefreshToken: rt, User: u.JSON(),
	}, nil
}

func sessionAMR(ctx context.Context, q querier, sessionID string) ([]amrEntry, error) {
	rows, err := q.Query(ctx, `select authentication_method, extract(epoch from updated_at)::bigint from auth.mfa_amr_claims
		where session_id = $1 order by updated_at desc`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("reading the session's methods: %w", err)
	}
	amr, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (amrEntry, error) {
		var a amrEntry
		err := r.Scan(&a.Method, &a.Timestamp)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the session's methods: %w", err)
	}
	return amr, nil
}

func insertRefreshToken(ctx context.Context, tx pgx.Tx, userID, sessionID, parent string, now time.Time) (string, error) {
	tok, err := randomString(16)
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
		values ('00000000-0000-0000-0000-000000000000', $1, $2, false, $3, $3, nullif($4, ''), $5)`, tok, userID, now, parent, sessionID); err != nil {
		return "", fmt.Errorf("issuing a refresh token: %w", err)
	}
	return tok, nil
}

var (
	errRefreshNotFound = badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
	errRefreshReused   = badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used")
	errUserBanned      = badRequest("user_banned", "User is banned")
)

// refresh rotates refresh token tok. A token already rotated is accepted
// again within the reuse interval (answering with the session's current
// token); after it, the reuse revokes the whole session.
func (s *Service) refresh(ctx context.Context, p *project, r *http.Request, tok string) (*tokenResponse, error) {
	var resp *tokenResponse
	var reused *session
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var (
			userID, sessionID string
			revoked           bool
			updatedAt         time.Time
		)
		err := tx.QueryRow(ctx, `select user_id, session_id, revoked, updated_at from auth.refresh_tokens where token = $1 for update`, tok).
			Scan(&userID, &sessionID, &revoked, &updatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRefreshNotFound
		}
		if err != nil {
			return fmt.Errorf("reading a refresh token: %w", err)
		}
		sess := &session{}
		err = tx.QueryRow(ctx, `select id, user_id, aal::text, factor_id from auth.sessions where id = $1 for update`, sessionID).
			Scan(&sess.ID, &sess.UserID, &sess.AAL, &sess.FactorID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRefreshNotFound
		}
		if err != nil {
			return fmt.Errorf("reading a session: %w", err)
		}
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u.banned(s.now()) {
			return errUserBanned
		}
		now := s.now()
		next := ""
		if revoked {
			if now.Sub(updatedAt) > s.conf(ctx).RefreshTokenReuseInterval {
				reused = sess
				return errRefreshReused
			}
			// A retry within the interval: hand out the session's live token.
			err := tx.QueryRow(ctx, `select token from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1`, sessionID).Scan(&next)
			if errors.Is(err, pgx.ErrNoRows) {
				return errRefreshNotFound
			}
			if err != nil {
				return fmt.Errorf("reading the live refresh token: %w", err)
			}
		} else {
			if _, err := tx.Exec(ctx, `update auth.refresh_tokens set revoked = true, updated_at = $2 where token = $1`, tok, now); err != nil {
				return fmt.Errorf("revoking a refresh token: %w", err)
			}
			if next, err = insertRefreshToken(ctx, tx, userID, sessionID, tok, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.sessions set refreshed_at = $2 at time zone 'utc', updated_at = $2 where id = $1`, sessionID, now); err != nil {
				return fmt.Errorf("updating a session: %w", err)
			}
		}
		resp, err = s.sessionResponse(ctx, tx, p, r, u, sess, next)
		if err == nil {
			s.audit(ctx, tx, clientIP(r), "token_refreshed", u, nil)
		}
		return err
	})
	if reused != nil {
		event.NoteFrom(ctx).Set(func(e *event.Event) { // whose token family was replayed
			e.Actor.UserID, e.Actor.Session = reused.UserID, reused.ID
			if e.Auth != nil {
				e.Auth.Account = reused.UserID
			}
		})
		// Reuse of a rotated token: someone else may hold the family. End it.
		if _, derr := p.pool.Exec(ctx, `delete from auth.sessions where id = $1`, reused.ID); derr != nil {
			return nil, fmt.Errorf("revoking a reused session: %w", derr)
		}
		if u, uerr := userByID(ctx, p.pool, reused.UserID); uerr == nil {
			s.audit(ctx, p.pool, clientIP(r), "token_revoked", u, map[string]any{"session_id": reused.ID, "reason": "refresh_token_reuse"})
		}
	}
	return resp, err
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func isUniqueViolation(err error) bool { return pgcode.Is(err, pgcode.UniqueViolation) }

func pgCheckViolation(err error) bool      { return pgcode.Is(err, pgcode.CheckViolation) }
func pgForeignKeyViolation(err error) bool { return pgcode.Is(err, pgcode.ForeignKeyViolation) }
