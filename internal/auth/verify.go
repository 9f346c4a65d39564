package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/sentinel/event"
)

type recoverBody struct {
	Email               string `json:"email"`
	CodeChallenge       string `json:"code_challenge"`
	CodeChallengeMethod string `json:"code_challenge_method"`
}

// handleRecover mails a recovery link; it answers alike whether or not the
// address is registered.
func (s *Service) handleRecover(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b recoverBody
	if err := decode(r, &b); err != nil {
		return err
	}
	b.Email = normalizeEmail(b.Email)
	if err := validEmail(b.Email); err != nil {
		return err
	}
	if err := validChallenge(b.CodeChallenge, b.CodeChallengeMethod); err != nil {
		return err
	}
	if err := s.allow(p.ref, clientIP(r), limitEmail, b.Email); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		u, err := userByEmail(ctx, tx, b.Email)
		if errors.Is(err, errUserNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.CodeChallenge != "" {
			if _, err := s.newFlowState(ctx, tx, u, b.CodeChallenge, b.CodeChallengeMethod, "recovery"); err != nil {
				return err
			}
		}
		if err := s.sendMail(ctx, tx, r, u, ottRecovery, mailRecovery, u.Email, r.URL.Query().Get("redirect_to")); err != nil {
			return err
		}
		s.audit(ctx, tx, clientIP(r), "user_recovery_requested", u, nil)
		return nil
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

type otpBody struct {
	Email               string         `json:"email"`
	Phone               string         `json:"phone"`
	CreateUser          *bool          `json:"create_user"`
	Data                map[string]any `json:"data"`
	Channel             string         `json:"channel"`
	CodeChallenge       string         `json:"code_challenge"`
	CodeChallengeMethod string         `json:"code_challenge_method"`
}

// handleOTP sends a magic link and code by mail, or a code by SMS.
func (s *Service) handleOTP(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b otpBody
	if err := decode(r, &b); err != nil {
		return err
	}
	create := b.CreateUser == nil || *b.CreateUser
	account := normalizeEmail(b.Email)
	isPhone := account == ""
	if isPhone && !s.phoneEnabled() {
		return errPhoneDisabled
	}
	if isPhone {
		ph, err := normalizePhone(b.Phone)
		if err != nil {
			return err
		}
		account = ph
	} else if err := validEmail(account); err != nil {
		return err
	}
	if err := validChallenge(b.CodeChallenge, b.CodeChallengeMethod); err != nil {
		return err
	}
	kind := limitEmail
	if isPhone {
		kind = limitSMS
	}
	if err := s.allow(p.ref, clientIP(r), kind, account); err != nil {
		return err
	}
	redirect := r.URL.Query().Get("redirect_to")
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var (
			u   *user
			err error
		)
		if isPhone {
			u, err = userByPhone(ctx, tx, account)
		} else {
			u, err = userByEmail(ctx, tx, account)
		}
		isNew := false
		if errors.Is(err, errUserNotFound) {
			if !create || s.conf(r.Context()).DisableSignup {
				return apiErr(http.StatusUnprocessableEntity, "otp_disabled", "Signups not allowed for otp")
			}
			n := newUser{UserMetaData: b.Data}
			if isPhone {
				n.Phone = account
			} else {
				n.Email = account
			}
			if u, err = s.insertUser(ctx, tx, n); err != nil {
				return err
			}
			isNew = true
			s.audit(ctx, tx, clientIP(r), "user_signedup", u, map[string]any{"provider": u.AppMetaData["provider"]})
		} else if err != nil {
			return err
		}
		if b.CodeChallenge != "" {
			if _, err := s.newFlowState(ctx, tx, u, b.CodeChallenge, b.CodeChallengeMethod, "magiclink"); err != nil {
				return err
			}
		}
		if isPhone {
			return s.sendSMS(ctx, tx, r, u, ottConfirmation, account)
		}
		if isNew || u.EmailConfirmedAt == nil {
			return s.sendMail(ctx, tx, r, u, ottConfirmation, mailSignup, u.Email, redirect)
		}
		return s.sendMail(ctx, tx, r, u, ottRecovery, mailMagicLink, u.Email, redirect)
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

type resendBody struct {
	Type  string `json:"type"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

func (s *Service) handleResend(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b resendBody
	if err := decode(r, &b); err != nil {
		return err
	}
	account := normalizeEmail(b.Email)
	switch b.Type {
	case "signup", "email_change":
		if err := validEmail(account); err != nil {
			return err
		}
	case "sms", "phone_change":
		ph, err := normalizePhone(b.Phone)
		if err != nil {
			return err
		}
		account = ph
	default:
		return errValidation("Missing one of these types: signup, email_change, sms, phone_change")
	}
	if err := s.allow(p.ref, clientIP(r), limitEmail, account); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var (
			u   *user
			err error
		)
		switch b.Type {
		case "signup":
			u, err = userByEmail(ctx, tx, account)
			if err == nil && u.EmailConfirmedAt == nil {
				return s.sendMail(ctx, tx, r, u, ottConfirmation, mailSignup, u.Email, r.URL.Query().Get("redirect_to"))
			}
		case "email_change":
			err = tx.QueryRow(ctx, `select id from auth.users where email_change = $1`, account).Scan(new(string))
			if err == nil {
				var id string
				_ = tx.QueryRow(ctx, `select id from auth.users where email_change = $1`, account).Scan(&id)
				if u, err = userByID(ctx, tx, id); err == nil {
					return s.sendMail(ctx, tx, r, u, ottEmailChangeNew, mailEmailChange, account, r.URL.Query().Get("redirect_to"))
				}
			}
		case "sms":
			u, err = userByPhone(ctx, tx, account)
			if err == nil && u.PhoneConfirmedAt == nil {
				return s.sendSMS(ctx, tx, r, u, ottConfirmation, account)
			}
		case "phone_change":
			var id string
			if err = tx.QueryRow(ctx, `select id from auth.users where phone_change = $1`, account).Scan(&id); err == nil {
				if u, err = userByID(ctx, tx, id); err == nil {
					return s.sendSMS(ctx, tx, r, u, ottPhoneChange, account)
				}
			}
		}
		if err != nil && !errors.Is(err, errUserNotFound) && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil // nothing to resend; say nothing about the account
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Service) handleReauthenticate(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	ru, err := s.userFromRequest(ctx, p, r)
	if err != nil {
		return err
	}
	if ru.user.Email == "" && ru.user.Phone == "" {
		return errValidation("Reauthentication requires the user to have an email or a phone number")
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		if ru.user.Email != "" {
			err = s.sendMail(ctx, tx, r, ru.user, ottReauthentication, mailReauth, ru.user.Email, "")
		} else {
			err = s.sendSMS(ctx, tx, r, ru.user, ottReauthentication, ru.user.Phone)
		}
		if err == nil {
			s.audit(ctx, tx, clientIP(r), "user_reauthenticate_requested", ru.user, nil)
		}
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

type inviteBody struct {
	Email string         `json:"email"`
	Data  map[string]any `json:"data"`
}

// handleInvite (service_role only, as GoTrue) creates a user and mails an invite.
func (s *Service) handleInvite(w http.ResponseWriter, r *http.Request, p *project) error {
	return s.admin(func(w http.ResponseWriter, r *http.Request, p *project) error {
		ctx := r.Context()
		var b inviteBody
		if err := decode(r, &b); err != nil {
			return err
		}
		b.Email = normalizeEmail(b.Email)
		if err := validEmail(b.Email); err != nil {
			return err
		}
		var u *user
		err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			var err error
			u, err = s.insertUser(ctx, tx, newUser{Email: b.Email, UserMetaData: b.Data, Invited: true})
			if err != nil {
				return err
			}
			if err := s.sendMail(ctx, tx, r, u, ottConfirmation, mailInvite, u.Email, r.URL.Query().Get("redirect_to")); err != nil {
				return err
			}
			s.audit(ctx, tx, clientIP(r), "user_invited", u, nil)
			u, err = userByID(ctx, tx, u.ID)
			return err
		})
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, u)
		return nil
	})(w, r, p)
}

type verifyBody struct {
	Type       string `json:"type"`
	Token      string `json:"token"`
	TokenHash  string `json:"token_hash"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	RedirectTo string `json:"redirect_to"`
}

// verifyTypes maps a verify type to the one-time token types it accepts and
// the authentication method its session records.
var verifyTypes = map[string]struct {
	types []string
	amr   string
}{
	"signup":       {[]string{ottConfirmation}, "otp"},
	"invite":       {[]string{ottConfirmation}, "invite"},
	"magiclink":    {[]string{ottRecovery, ottConfirmation}, "otp"},
	"email":        {[]string{ottRecovery, ottConfirmation}, "otp"},
	"recovery":     {[]string{ottRecovery}, "recovery"},
	"email_change": {[]string{ottEmailChangeNew, ottEmailChangeCurrent}, "email_change"},
	"sms":          {[]string{ottConfirmation}, "otp"},
	"phone_change": {[]string{ottPhoneChange}, "otp"},
}

// singleConfirmation is GoTrue's answer to the first of the two links of a
// double-confirmed email change.
const singleConfirmation = "Confirmation link accepted. Please proceed to confirm link sent to the other email"

// verified is what a verification gave: a new session; or, when a PKCE
// flow is waiting, its code; or, for the first link of a double-confirmed
// email change, only a message.
type verified struct {
	resp     *tokenResponse
	flowCode string
	message  string
}

// verify consumes a one-time token and returns the user and a new session.
func (s *Service) verify(ctx context.Context, r *http.Request, p *project, b verifyBody, pkce bool) (out verified, err error) {
	vt, ok := verifyTypes[b.Type]
	if !ok {
		return out, errValidation("Verify requires a verification type")
	}
	hash := b.TokenHash
	if hash == "" {
		switch {
		case b.Email != "":
			hash = tokenHash(strings.TrimSpace(b.Email), strings.TrimSpace(b.Token))
		case b.Phone != "":
			ph, err := normalizePhone(b.Phone)
			if err != nil {
				return out, err
			}
			hash = tokenHash(ph, strings.TrimSpace(b.Token))
		default:
			hash = b.Token // a link's token is the hash itself
		}
	}
	if hash == "" {
		return out, errValidation("Verify requires either a token or a token hash")
	}
	ip := clientIP(r)
	if err := s.allow(p.ref, ip, limitSignIn, ""); err != nil {
		return out, err
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		userID, typ, relatesTo, err := s.consumeOTT(ctx, tx, hash, vt.types...)
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
		now := s.now()
		switch {
		case b.Type == "email_change":
			single, err := s.confirmEmailChange(ctx, tx, u, relatesTo)
			if single {
				out.message = singleConfirmation
			}
			if err != nil || single {
				return err
			}
		case b.Type == "phone_change":
			if _, err := tx.Exec(ctx, `update auth.users set phone = $2, phone_confirmed_at = $3, phone_change = '', is_anonymous = false where id = $1`, u.ID, relatesTo, now); err != nil {
				return err
			}
		case b.Type == "sms":
			if _, err := tx.Exec(ctx, `update auth.users set phone_confirmed_at = coalesce(phone_confirmed_at, $2), confirmation_token = '' where id = $1`, u.ID, now); err != nil {
				return err
			}
		case typ == ottConfirmation:
			if _, err := tx.Exec(ctx, `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, $2), confirmation_token = '' where id = $1`, u.ID, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.identities set identity_data = identity_data || '{"email_verified": true}' where user_id = $1 and provider = 'email'`, u.ID); err != nil {
				return err
			}
		case typ == ottRecovery:
			if _, err := tx.Exec(ctx, `update auth.users set recovery_token = '', email_confirmed_at = coalesce(email_confirmed_at, $2) where id = $1`, u.ID, now); err != nil {
				return err
			}
		}
		if u, err = userByID(ctx, tx, userID); err != nil {
			return err
		}
		s.audit(ctx, tx, ip, "user_confirmation_requested", u, map[string]any{"verified": b.Type})
		if pkce {
			flowFor := map[string]string{"signup": "email/signup", "invite": "invite", "magiclink": "magiclink", "email": "magiclink", "recovery": "recovery", "email_change": "email_change"}[b.Type]
			if code, ok, err := s.pendingFlow(ctx, tx, u, flowFor); err != nil {
				return err
			} else if ok {
				out.flowCode = code
				return nil
			}
		}
		out.resp, err = s.newSession(ctx, tx, p, r, u, vt.amr)
		if err == nil {
			s.audit(ctx, tx, ip, "login", u, map[string]any{"provider": "email", "method": vt.amr})
		}
		return err
	})
	return out, err
}

// confirmEmailChange applies u's pending email change once the links it
// needs are used: with double_confirm_changes, those mailed to the current
// and to the new address; the first only records that it was (single).
func (s *Service) confirmEmailChange(ctx context.Context, tx pgx.Tx, u *user, relatesTo string) (single bool, err error) {
	var waiting bool
	if err := tx.QueryRow(ctx, `select exists (select from auth.one_time_tokens where user_id = $1 and token_type::text = any($2))`,
		u.ID, []string{ottEmailChangeNew, ottEmailChangeCurrent}).Scan(&waiting); err != nil {
		return false, fmt.Errorf("reading the email change: %w", err)
	}
	if waiting && s.conf(ctx).DoubleConfirmChanges {
		if _, err := tx.Exec(ctx, `update auth.users set email_change_confirm_status = 1 where id = $1`, u.ID); err != nil {
			return false, fmt.Errorf("recording a confirmation: %w", err)
		}
		return true, nil
	}
	to := u.EmailChange
	if to == "" {
		to = relatesTo
	}
	return false, s.setEmail(ctx, tx, u, to)
}

func (s *Service) handleVerifyPost(w http.ResponseWriter, r *http.Request, p *project) error {
	var b verifyBody
	if err := decode(r, &b); err != nil {
		return err
	}
	noteAttempt(r, event.AuthOTP, firstNonEmpty(normalizeEmail(b.Email), b.Phone))
	v, err := s.verify(r.Context(), r, p, b, false)
	if err != nil {
		return err
	}
	if v.message != "" {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"msg": v.message, "code": http.StatusOK})
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, v.resp)
	return nil
}

// handleVerifyGet serves links in mail: it redirects to redirect_to with
// the session in the fragment, a PKCE code in the query, or an error.
func (s *Service) handleVerifyGet(w http.ResponseWriter, r *http.Request, p *project) error {
	q := r.URL.Query()
	b := verifyBody{Type: q.Get("type"), Token: q.Get("token"), RedirectTo: q.Get("redirect_to")}
	target := s.redirectTo(r, b.RedirectTo)
	v, err := s.verify(r.Context(), r, p, b, true)
	resp, code := v.resp, v.flowCode
	if err == nil && v.message != "" {
		http.Redirect(w, r, target+"#"+url.Values{"message": {v.message}}.Encode(), http.StatusSeeOther) //nolint:gosec // target passed redirectTo's allow-list
		return nil
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return err
		}
		v := url.Values{"error": {"access_denied"}, "error_code": {e.Code}, "error_description": {e.Msg}}
		http.Redirect(w, r, target+"#"+v.Encode(), http.StatusSeeOther) //nolint:gosec // target passed redirectTo's allow-list
		return nil
	}
	if code != "" {
		u, perr := url.Parse(target)
		if perr != nil {
			return fmt.Errorf("redirect target: %w", perr)
		}
		qq := u.Query()
		qq.Set("code", code)
		u.RawQuery = qq.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther) //nolint:gosec // target passed redirectTo's allow-list
		return nil
	}
	frag := url.Values{
		"access_token": {resp.AccessToken}, "token_type": {"bearer"}, "expires_in": {strconv.Itoa(resp.ExpiresIn)},
		"expires_at": {strconv.FormatInt(resp.ExpiresAt, 10)}, "refresh_token": {resp.RefreshToken}, "type": {b.Type},
	}
	http.Redirect(w, r, target+"#"+frag.Encode(), http.StatusSeeOther) //nolint:gosec // target passed redirectTo's allow-list
	return nil
}
