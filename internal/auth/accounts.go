package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/sentinel/event"
)

func httpRef(r *http.Request) string { return httpx.ProjectRef(r.Context()) }

// phoneRe is E.164 without its "+": a country code that does not start
// with 0, at most 15 digits in all (GoTrue's rule).
var phoneRe = regexp.MustCompile(`^[1-9][0-9]{1,14}$`)

// normalizeEmail is how every endpoint reads an email address: trimmed and
// lowercased, so one account has one spelling.
func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func validEmail(e string) error {
	if len(e) > 255 {
		return errValidation("Unable to validate email address: invalid format")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e, "@") {
		return errValidation("Unable to validate email address: invalid format")
	}
	return nil
}

// normalizePhone reads a phone number as GoTrue does: without its leading
// "+" and its spaces ("+1 555 010 9999" → "15550109999"), then E.164 digits;
// anything else ("(555) 010-9999", letters) is refused.
func normalizePhone(p string) (string, error) {
	p = strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(p), "+"), " ", "")
	if !phoneRe.MatchString(p) {
		return "", errValidation("Invalid phone number format (E.164 required)")
	}
	return p, nil
}

type signupBody struct {
	Email               string         `json:"email"`
	Phone               string         `json:"phone"`
	Password            string         `json:"password"`
	Data                map[string]any `json:"data"`
	Channel             string         `json:"channel"`
	CodeChallenge       string         `json:"code_challenge"`
	CodeChallengeMethod string         `json:"code_challenge_method"`
}

func (s *Service) handleSignup(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b signupBody
	if err := decode(r, &b); err != nil {
		return err
	}
	b.Email = strings.TrimSpace(b.Email)
	ip := clientIP(r)
	if b.Email == "" && b.Phone == "" && b.Password == "" {
		return s.anonymousSignIn(w, r, p, b.Data)
	}
	if s.conf(r.Context()).DisableSignup {
		return errSignupDisabled
	}
	if b.Password == "" {
		return errValidation("Signup requires a valid password")
	}
	account := strings.ToLower(b.Email)
	if b.Email != "" {
		if err := validEmail(b.Email); err != nil {
			return err
		}
	} else {
		ph, err := normalizePhone(b.Phone)
		if err != nil {
			return err
		}
		b.Phone, account = ph, ph
	}
	if err := validChallenge(b.CodeChallenge, b.CodeChallengeMethod); err != nil {
		return err
	}
	if err := s.allow(p.ref, ip, limitSignIn, account); err != nil {
		return err
	}
	if err := s.checkStrength(r.Context(), b.Password); err != nil {
		return err
	}
	hash, err := s.hashPassword(b.Password)
	if err != nil {
		return err
	}
	redirect := r.URL.Query().Get("redirect_to")
	var resp any
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var existing *user
		var err error
		if b.Email != "" {
			existing, err = userByEmail(ctx, tx, b.Email)
		} else {
			existing, err = userByPhone(ctx, tx, b.Phone)
		}
		if err != nil && !errors.Is(err, errUserNotFound) {
			return err
		}
		var u *user
		switch {
		case existing != nil && existing.ConfirmedAt != nil:
			if !s.conf(r.Context()).EnableConfirmations {
				return apiErr(http.StatusUnprocessableEntity, "user_already_exists", "User already registered")
			}
			// As GoTrue: answer as for a new user, so that the answer does
			// not reveal that the address is registered.
			s.audit(ctx, tx, ip, "user_repeated_signup", existing, nil)
			fake := *existing
			fake.ID, _ = newUUID()
			fake.Identities, fake.Factors = nil, nil
			fake.AppMetaData, fake.UserMetaData = map[string]any{}, b.Data
			now := s.now()
			fake.CreatedAt, fake.UpdatedAt, fake.ConfirmationSentAt, fake.LastSignInAt, fake.ConfirmedAt, fake.EmailConfirmedAt = now, now, &now, nil, nil, nil
			resp = fake.JSON()
			return nil
		case existing != nil:
			// Unconfirmed: take the new password and send the mail again.
			if _, err := tx.Exec(ctx, `update auth.users set encrypted_password = $2, raw_user_meta_data = raw_user_meta_data || $3, updated_at = now() where id = $1`,
				existing.ID, hash, nonNil(b.Data)); err != nil {
				return err
			}
			u = existing
		default:
			u, err = s.insertUser(ctx, tx, newUser{
				Email: b.Email, Phone: b.Phone, PasswordHash: hash, UserMetaData: b.Data,
				EmailConfirmed: b.Email != "" && !s.conf(r.Context()).EnableConfirmations,
				PhoneConfirmed: b.Email == "" && !s.conf(r.Context()).EnableConfirmations,
			})
			if err != nil {
				return err
			}
			s.audit(ctx, tx, ip, "user_signedup", u, map[string]any{"provider": u.AppMetaData["provider"]})
		}
		if !s.conf(r.Context()).EnableConfirmations {
			tr, err := s.newSession(ctx, tx, p, r, u, "password")
			if err != nil {
				return err
			}
			s.audit(ctx, tx, ip, "login", u, map[string]any{"provider": u.AppMetaData["provider"]})
			resp = tr
			return nil
		}
		if b.CodeChallenge != "" {
			if _, err := s.newFlowState(ctx, tx, u, b.CodeChallenge, b.CodeChallengeMethod, "email/signup"); err != nil {
				return err
			}
		}
		if b.Email != "" {
			err = s.sendMail(ctx, tx, r, u, ottConfirmation, mailSignup, u.Email, redirect)
		} else {
			err = s.sendSMS(ctx, tx, r, u, ottConfirmation, u.Phone)
		}
		if err != nil {
			return err
		}
		s.audit(ctx, tx, ip, "user_confirmation_requested", u, nil)
		if u, err = userByID(ctx, tx, u.ID); err != nil {
			return err
		}
		resp = u.JSON()
		return nil
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (s *Service) anonymousSignIn(w http.ResponseWriter, r *http.Request, p *project, data map[string]any) error {
	if s.conf(r.Context()).DisableAnonymous {
		return apiErr(http.StatusUnprocessableEntity, "anonymous_provider_disabled", "Anonymous sign-ins are disabled")
	}
	ctx := r.Context()
	ip := clientIP(r)
	if err := s.allow(p.ref, ip, limitSignIn, ""); err != nil {
		return err
	}
	var resp *tokenResponse
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		u, err := s.insertUser(ctx, tx, newUser{Anonymous: true, UserMetaData: data})
		if err != nil {
			return err
		}
		s.audit(ctx, tx, ip, "user_signedup", u, map[string]any{"provider": "anonymous"})
		resp, err = s.newSession(ctx, tx, p, r, u, "anonymous")
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

type tokenBody struct {
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Password     string `json:"password"`
	RefreshToken string `json:"refresh_token"`
	AuthCode     string `json:"auth_code"`
	CodeVerifier string `json:"code_verifier"`
	IDToken      string `json:"id_token"`
	Provider     string `json:"provider"`
	ClientID     string `json:"client_id"`
	Issuer       string `json:"issuer"`
}

// handleToken answers POST /token and counts the grant's outcome.
func (s *Service) handleToken(w http.ResponseWriter, r *http.Request, p *project) error {
	err := s.grantToken(w, r, p)
	s.metrics.grant(p.ref, r.URL.Query().Get("grant_type"), err)
	return err
}

func (s *Service) grantToken(w http.ResponseWriter, r *http.Request, p *project) error {
	var b tokenBody
	if err := decode(r, &b); err != nil {
		return err
	}
	var (
		resp *tokenResponse
		err  error
	)
	ip := clientIP(r)
	switch gt := r.URL.Query().Get("grant_type"); gt {
	case "password":
		resp, err = s.passwordGrant(r, p, b)
	case "refresh_token":
		if err := s.allow(p.ref, ip, limitRefresh, ""); err != nil {
			return err
		}
		if b.RefreshToken == "" {
			return badRequest("validation_failed", "refresh_token required")
		}
		noteAttempt(r, event.AuthRefresh, "")
		resp, err = s.refresh(r.Context(), p, r, b.RefreshToken)
	case "pkce":
		if err := s.allow(p.ref, ip, limitSignIn, ""); err != nil {
			return err
		}
		resp, err = s.pkceGrant(r, p, b)
	case "id_token":
		return idTokenGrant(idTokenBody{IDToken: b.IDToken, Provider: b.Provider, ClientID: b.ClientID, Issuer: b.Issuer})
	case "web3":
		return errWeb3Disabled
	default:
		return badRequest("unsupported_grant_type", "unsupported_grant_type")
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Service) passwordGrant(r *http.Request, p *project, b tokenBody) (*tokenResponse, error) {
	ctx := r.Context()
	ip := clientIP(r)
	account := normalizeEmail(b.Email)
	if account == "" {
		ph, err := normalizePhone(b.Phone)
		if err != nil {
			return nil, errInvalidCredentials
		}
		account = ph
	}
	noteAttempt(r, event.AuthPassword, account)
	if err := s.allow(p.ref, ip, limitSignIn, account); err != nil {
		return nil, err
	}
	var (
		u   *user
		err error
	)
	if b.Email != "" {
		u, err = userByEmail(ctx, p.pool, account)
	} else {
		u, err = userByPhone(ctx, p.pool, account)
	}
	if err != nil && !errors.Is(err, errUserNotFound) {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.EncryptedPassword
	}
	// Unknown user and wrong password take the same time and answer alike.
	if !s.checkPassword(hash, b.Password) || u == nil {
		return nil, errInvalidCredentials
	}
	if u.banned(s.now()) {
		return nil, errUserBanned
	}
	if b.Email != "" && u.EmailConfirmedAt == nil && s.conf(r.Context()).EnableConfirmations {
		return nil, badRequest("email_not_confirmed", "Email not confirmed")
	}
	if b.Email == "" && u.PhoneConfirmedAt == nil && s.conf(r.Context()).EnableConfirmations {
		return nil, badRequest("phone_not_confirmed", "Phone not confirmed")
	}
	var resp *tokenResponse
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		resp, err = s.newSession(ctx, tx, p, r, u, "password")
		if err == nil {
			s.audit(ctx, tx, ip, "login", u, map[string]any{"provider": u.AppMetaData["provider"]})
		}
		return err
	})
	return resp, err
}

func (s *Service) pkceGrant(r *http.Request, p *project, b tokenBody) (*tokenResponse, error) {
	if b.AuthCode == "" || b.CodeVerifier == "" {
		return nil, errValidation("invalid request: both auth code and code verifier should be non-empty")
	}
	ctx := r.Context()
	var resp *tokenResponse
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		userID, authMethod, err := s.exchangePKCE(ctx, tx, b.AuthCode, b.CodeVerifier)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u.banned(s.now()) {
			return errUserBanned
		}
		resp, err = s.newSession(ctx, tx, p, r, u, amrForFlow(authMethod))
		if err == nil {
			s.audit(ctx, tx, clientIP(r), "login", u, map[string]any{"provider": "email", "flow": "pkce"})
		}
		return err
	})
	return resp, err
}

func amrForFlow(m string) string {
	switch m {
	case "recovery":
		return "recovery"
	case "invite":
		return "invite"
	case "email_change":
		return "email_change"
	}
	return "otp"
}

func (s *Service) handleGetUser(w http.ResponseWriter, r *http.Request, p *project) error {
	ru, err := s.userFromRequest(r.Context(), p, r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, ru.user)
	return nil
}

type updateUserBody struct {
	Email               *string        `json:"email"`
	Phone               *string        `json:"phone"`
	Password            *string        `json:"password"`
	Nonce               string         `json:"nonce"`
	Data                map[string]any `json:"data"`
	CodeChallenge       string         `json:"code_challenge"`
	CodeChallengeMethod string         `json:"code_challenge_method"`
}

func (s *Service) handleUpdateUser(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	var b updateUserBody
	if err := decode(r, &b); err != nil {
		return err
	}
	ip := clientIP(r)
	var (
		hash string
		same bool
	)
	if b.Password != nil {
		if err := s.checkStrength(r.Context(), *b.Password); err != nil {
			return err
		}
		same = ru.user.EncryptedPassword != "" && s.checkPassword(ru.user.EncryptedPassword, *b.Password)
		if hash, err = s.hashPassword(*b.Password); err != nil {
			return err
		}
	}
	if b.Email != nil {
		e := normalizeEmail(*b.Email)
		b.Email = &e
		if err := validEmail(e); err != nil {
			return err
		}
	}
	var out *user
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		u := ru.user
		if err := s.checkReauthentication(ctx, tx, ru, b); err != nil {
			return err
		}
		if same {
			return apiErr(http.StatusUnprocessableEntity, "same_password", "New password should be different from the old password.")
		}
		if b.Data != nil {
			merged := maps.Clone(u.UserMetaData)
			for k, v := range b.Data {
				if v == nil {
					delete(merged, k)
				} else {
					merged[k] = v
				}
			}
			if _, err := tx.Exec(ctx, `update auth.users set raw_user_meta_data = $2, updated_at = now() where id = $1`, u.ID, merged); err != nil {
				return err
			}
		}
		if hash != "" {
			if _, err := tx.Exec(ctx, `update auth.users set encrypted_password = $2, updated_at = now() where id = $1`, u.ID, hash); err != nil {
				return err
			}
			s.audit(ctx, tx, ip, "user_updated_password", u, nil)
		}
		if b.Email != nil && *b.Email != u.Email {
			var taken bool
			if err := tx.QueryRow(ctx, `select exists (select from auth.users where lower(email) = $1 and id <> $2)`, *b.Email, u.ID).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return errEmailExists
			}
			if err := s.changeEmail(ctx, tx, r, u, *b.Email, b); err != nil {
				return err
			}
		}
		if b.Phone != nil {
			ph, err := normalizePhone(*b.Phone)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.users set phone_change = $2, updated_at = now() where id = $1`, u.ID, ph); err != nil {
				return err
			}
			if err := s.sendSMS(ctx, tx, r, u, ottPhoneChange, ph); err != nil {
				return err
			}
		}
		s.audit(ctx, tx, ip, "user_modified", u, nil)
		var err error
		out, err = userByID(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// changeEmail changes u's address to email: at once without confirmations,
// else by the link mailed to the new address and, with
// double_confirm_changes, the one mailed to the current address too.
func (s *Service) changeEmail(ctx context.Context, tx pgx.Tx, r *http.Request, u *user, email string, b updateUserBody) error {
	if !s.conf(ctx).EnableConfirmations {
		return s.setEmail(ctx, tx, u, email)
	}
	if _, err := tx.Exec(ctx, `update auth.users set email_change = $2, email_change_confirm_status = 0, updated_at = now() where id = $1`, u.ID, email); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `delete from auth.one_time_tokens where user_id = $1 and token_type::text = any($2)`,
		u.ID, []string{ottEmailChangeNew, ottEmailChangeCurrent}); err != nil {
		return err
	}
	if b.CodeChallenge != "" {
		if _, err := s.newFlowState(ctx, tx, u, b.CodeChallenge, b.CodeChallengeMethod, "email_change"); err != nil {
			return err
		}
	}
	redirect := r.URL.Query().Get("redirect_to")
	if err := s.sendMail(ctx, tx, r, u, ottEmailChangeNew, mailEmailChange, email, redirect); err != nil {
		return err
	}
	if !s.conf(ctx).DoubleConfirmChanges || u.Email == "" {
		return nil
	}
	return s.sendMail(ctx, tx, r, u, ottEmailChangeCurrent, mailEmailChange, u.Email, redirect)
}

// reauthWindow is how long after signing in a session may change its
// password without a reauthentication nonce (GoTrue's 24 hours).
const reauthWindow = 24 * time.Hour

// checkReauthentication: with secure_password_change, a password change
// from a session older than [reauthWindow] needs the nonce that GET
// /reauthenticate sent, as GoTrue requires; otherwise a nonce is not read.
func (s *Service) checkReauthentication(ctx context.Context, tx pgx.Tx, ru *requestUser, b updateUserBody) error {
	if b.Password == nil || !s.conf(ctx).SecurePasswordChange {
		return nil
	}
	if recent, err := s.recentSession(ctx, tx, ru.sessionID); err != nil || recent {
		return err
	}
	if b.Nonce == "" {
		return badRequest("reauthentication_needed", "Password update requires reauthentication")
	}
	addr := ru.user.Email
	if addr == "" {
		addr = ru.user.Phone
	}
	if _, _, _, err := s.consumeOTT(ctx, tx, tokenHash(addr, b.Nonce), ottReauthentication); err != nil {
		return apiErr(http.StatusUnprocessableEntity, "reauthentication_not_valid", "Nonce has expired or is invalid")
	}
	return nil
}

// recentSession reports whether session id signed in within [reauthWindow].
func (s *Service) recentSession(ctx context.Context, q querier, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	var created time.Time
	err := q.QueryRow(ctx, `select created_at from auth.sessions where id = $1`, id).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the session: %w", err)
	}
	return !s.now().After(created.Add(reauthWindow)), nil
}

// setEmail makes email u's confirmed address; an anonymous user becomes a
// permanent one with an email identity.
func (s *Service) setEmail(ctx context.Context, tx pgx.Tx, u *user, email string) error {
	now := s.now()
	if _, err := tx.Exec(ctx, `delete from auth.one_time_tokens where user_id = $1 and token_type::text = any($2)`,
		u.ID, []string{ottEmailChangeNew, ottEmailChangeCurrent}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `update auth.users set email = $2, email_confirmed_at = $3, email_change = '', email_change_token_new = '',
		email_change_token_current = '', email_change_confirm_status = 0,
		is_anonymous = false, raw_app_meta_data = raw_app_meta_data || jsonb_build_object('provider', coalesce(raw_app_meta_data->>'provider', 'email'),
			'providers', coalesce(raw_app_meta_data->'providers', '[]'::jsonb) || case when coalesce(raw_app_meta_data->'providers', '[]'::jsonb) ? 'email' then '[]'::jsonb else '["email"]'::jsonb end),
		updated_at = $3 where id = $1`, u.ID, email, now); err != nil {
		if isUniqueViolation(err) {
			return errEmailExists
		}
		return err
	}
	data := map[string]any{"sub": u.ID, "email": email, "email_verified": true, "phone_verified": false}
	if _, err := tx.Exec(ctx, `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
		values ($1::text, $1::uuid, $2, 'email', $3, $3, $3)
		on conflict (provider_id, provider) do update set identity_data = excluded.identity_data, updated_at = excluded.updated_at`, u.ID, data, now); err != nil {
		return err
	}
	return nil
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	switch scope := r.URL.Query().Get("scope"); scope {
	case "", "global":
		_, err = p.pool.Exec(ctx, `delete from auth.sessions where user_id = $1`, ru.user.ID)
	case "local":
		_, err = p.pool.Exec(ctx, `delete from auth.sessions where id = $1`, ru.sessionID)
	case "others":
		_, err = p.pool.Exec(ctx, `delete from auth.sessions where user_id = $1 and id <> $2`, ru.user.ID, ru.sessionID)
	default:
		return errValidation("Unsupported logout scope " + url.QueryEscape(scope))
	}
	if err != nil {
		return err
	}
	s.audit(ctx, p.pool, clientIP(r), "logout", ru.user, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
