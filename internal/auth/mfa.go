package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// mfaChallengeExpiry is how long a challenge may be verified, as GoTrue's default.
const mfaChallengeExpiry = 5 * time.Minute

// factor is a row of auth.mfa_factors.
type factor struct {
	ID           string
	UserID       string
	FriendlyName string
	FactorType   string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Secret       string
}

type factorJSON struct {
	ID           string    `json:"id"`
	FriendlyName string    `json:"friendly_name,omitempty"`
	FactorType   string    `json:"factor_type"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (f factor) JSON() factorJSON {
	return factorJSON{ID: f.ID, FriendlyName: f.FriendlyName, FactorType: f.FactorType, Status: f.Status, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func factorsOf(ctx context.Context, q querier, userID string) ([]factor, error) {
	rows, err := q.Query(ctx, `select id, user_id, coalesce(friendly_name, ''), factor_type::text, status::text, created_at, updated_at, coalesce(secret, '')
		from auth.mfa_factors where user_id = $1 order by created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("reading factors: %w", err)
	}
	fs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (factor, error) {
		var f factor
		err := r.Scan(&f.ID, &f.UserID, &f.FriendlyName, &f.FactorType, &f.Status, &f.CreatedAt, &f.UpdatedAt, &f.Secret)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading factors: %w", err)
	}
	return fs, nil
}

var (
	errFactorNotFound     = apiErr(http.StatusNotFound, "mfa_factor_not_found", "Factor not found")
	errChallengeNotFound  = apiErr(http.StatusNotFound, "mfa_challenge_not_found", "Challenge not found")
	errChallengeExpired   = apiErr(http.StatusUnprocessableEntity, "mfa_challenge_expired", "MFA challenge has expired, verify against another challenge or create a new challenge.")
	errVerificationFailed = apiErr(http.StatusUnprocessableEntity, "mfa_verification_failed", "Invalid TOTP code entered")
	errInsufficientAAL    = apiErr(http.StatusForbidden, "insufficient_aal", "AAL2 required to unenroll verified factor")
	errFactorNameConflict = apiErr(http.StatusUnprocessableEntity, "mfa_factor_name_conflict", "A factor with the friendly name already exists for this user")
	errTooManyFactors     = apiErr(http.StatusUnprocessableEntity, "too_many_enrolled_mfa_factors", "Maximum number of verified factors reached, unenroll to continue")
)

func (ru *requestUser) factor(id string) (*factor, error) {
	for i := range ru.user.Factors {
		if ru.user.Factors[i].ID == id {
			return &ru.user.Factors[i], nil
		}
	}
	return nil, errFactorNotFound
}

type enrollBody struct {
	FactorType   string `json:"factor_type"`
	FriendlyName string `json:"friendly_name"`
	Issuer       string `json:"issuer"`
}

func (s *Service) handleEnroll(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	var b enrollBody
	if err := decode(r, &b); err != nil {
		return err
	}
	switch b.FactorType {
	case "totp":
	case "phone":
		return apiErr(http.StatusUnprocessableEntity, "mfa_phone_enroll_not_enabled", "MFA enroll is disabled for Phone")
	case "webauthn":
		return apiErr(http.StatusUnprocessableEntity, "mfa_webauthn_enroll_not_enabled", "MFA enroll is disabled for WebAuthn")
	default:
		return errValidation("factor_type needs to be totp, phone or webauthn")
	}
	if len(ru.user.Factors) >= s.conf(r.Context()).MFAMaxFactors {
		return errTooManyFactors
	}
	issuer := b.Issuer
	if issuer == "" {
		issuer = r.Host
	}
	account := ru.user.username()
	if account == "" {
		account = ru.user.ID
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return fmt.Errorf("generating a TOTP secret: %w", err)
	}
	id, err := newUUID()
	if err != nil {
		return err
	}
	_, err = p.pool.Exec(ctx, `insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, secret, created_at, updated_at)
		values ($1, $2, $3, 'totp', 'unverified', $4, $5, $5)`, id, ru.user.ID, b.FriendlyName, key.Secret(), s.now())
	if isUniqueViolation(err) {
		return errFactorNameConflict
	}
	if err != nil {
		return fmt.Errorf("storing a factor: %w", err)
	}
	s.audit(ctx, p.pool, clientIP(r), "factor_in_progress", ru.user, map[string]any{"factor_id": id, "factor_type": "totp"})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"id": id, "type": "totp", "friendly_name": b.FriendlyName,
		"totp": map[string]string{"qr_code": qrSVG(key.URL()), "secret": key.Secret(), "uri": key.URL()},
	})
	return nil
}

// qrSVG renders uri as an SVG QR code ("" if it cannot).
func qrSVG(uri string) string {
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	b := code.Bounds()
	n := b.Dx()
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 %d %d" shape-rendering="crispEdges"><rect x="-4" y="-4" width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+8, n+8, n+8, n+8)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA(); r == 0 {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	sb.WriteString(`"/></svg>`)
	return sb.String()
}

func (s *Service) handleChallenge(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	f, err := ru.factor(r.PathValue("id"))
	if err != nil {
		return err
	}
	id, err := newUUID()
	if err != nil {
		return err
	}
	now := s.now()
	if _, err := p.pool.Exec(ctx, `insert into auth.mfa_challenges (id, factor_id, created_at, ip_address) values ($1, $2, $3, $4::inet)`,
		id, f.ID, now, clientIPOrZero(r)); err != nil {
		return fmt.Errorf("storing a challenge: %w", err)
	}
	s.audit(ctx, p.pool, clientIP(r), "challenge_created", ru.user, map[string]any{"factor_id": f.ID, "challenge_id": id})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "type": f.FactorType, "expires_at": now.Add(mfaChallengeExpiry).Unix()})
	return nil
}

func clientIPOrZero(r *http.Request) string {
	ip := clientIP(r)
	if ip == "" || strings.ContainsAny(ip, "@") {
		return "0.0.0.0"
	}
	return ip
}

type factorVerifyBody struct {
	ChallengeID string `json:"challenge_id"`
	Code        string `json:"code"`
}

func (s *Service) handleFactorVerify(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	noteAttempt(r, event.AuthMFA, ru.user.ID)
	f, err := ru.factor(r.PathValue("id"))
	if err != nil {
		return err
	}
	var b factorVerifyBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if ru.sessionID == "" {
		return errSessionNotFound
	}
	if err := s.allow(p.ref, clientIP(r), limitSignIn, "mfa:"+f.ID); err != nil {
		return err
	}
	var resp *tokenResponse
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var (
			created  time.Time
			verified *time.Time
		)
		err := tx.QueryRow(ctx, `select created_at, verified_at from auth.mfa_challenges where id = $1 and factor_id = $2 for update`,
			b.ChallengeID, f.ID).Scan(&created, &verified)
		if errors.Is(err, pgx.ErrNoRows) {
			return errChallengeNotFound
		}
		if err != nil {
			return fmt.Errorf("reading a challenge: %w", err)
		}
		now := s.now()
		if verified != nil || now.Sub(created) > mfaChallengeExpiry {
			return errChallengeExpired
		}
		ok, err := totp.ValidateCustom(strings.TrimSpace(b.Code), f.Secret, now, totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil || !ok {
			s.audit(ctx, p.pool, clientIP(r), "verification_attempted_mfa", ru.user, map[string]any{"factor_id": f.ID, "success": false})
			return errVerificationFailed
		}
		if _, err := tx.Exec(ctx, `update auth.mfa_challenges set verified_at = $2 where id = $1`, b.ChallengeID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update auth.mfa_factors set status = 'verified', updated_at = $2 where id = $1`, f.ID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update auth.sessions set aal = 'aal2', factor_id = $2, updated_at = $3 where id = $1`, ru.sessionID, f.ID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method) values ($1, $2, $2, 'totp')
			on conflict (session_id, authentication_method) do update set updated_at = excluded.updated_at`, ru.sessionID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update auth.refresh_tokens set revoked = true, updated_at = $2 where session_id = $1 and not revoked`, ru.sessionID, now); err != nil {
			return err
		}
		rt, err := insertRefreshToken(ctx, tx, ru.user.ID, ru.sessionID, "", now)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, ru.user.ID)
		if err != nil {
			return err
		}
		fid := f.ID
		resp, err = s.sessionResponse(ctx, tx, p, r, u, &session{ID: ru.sessionID, UserID: u.ID, AAL: "aal2", FactorID: &fid}, rt)
		if err == nil {
			s.audit(ctx, tx, clientIP(r), "verification_attempted_mfa", u, map[string]any{"factor_id": f.ID, "success": true})
		}
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Service) handleUnenroll(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	f, err := ru.factor(r.PathValue("id"))
	if err != nil {
		return err
	}
	if aal, _ := ru.claims["aal"].(string); f.Status == "verified" && aal != "aal2" {
		return errInsufficientAAL
	}
	if err := deleteFactor(ctx, p, f.ID); err != nil {
		return err
	}
	s.audit(ctx, p.pool, clientIP(r), "factor_unenrolled", ru.user, map[string]any{"factor_id": f.ID})
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"id": f.ID})
	return nil
}

// deleteFactor removes a factor; sessions it stepped up fall back to aal1.
func deleteFactor(ctx context.Context, p *project, id string) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `delete from auth.mfa_amr_claims where authentication_method = 'totp' and session_id in (select id from auth.sessions where factor_id = $1)`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update auth.sessions set aal = 'aal1', factor_id = null where factor_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `delete from auth.mfa_factors where id = $1`, id)
		return err
	})
}
