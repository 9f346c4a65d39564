package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// One-time token types (auth.one_time_token_type) and the users column each
// mirrors, as GoTrue keeps both.
// ottEmailChangeCurrent goes to the current address when
// double_confirm_changes asks both addresses to confirm.
const (
	ottConfirmation       = "confirmation_token"
	ottRecovery           = "recovery_token"
	ottEmailChangeNew     = "email_change_token_new"
	ottEmailChangeCurrent = "email_change_token_current"
	ottReauthentication   = "reauthentication_token"
	ottPhoneChange        = "phone_change_token"
)

// tokenHash is GoTrue's hash of a one-time code: hex(sha224(address + code)).
func tokenHash(address, code string) string {
	sum := sha256.Sum224([]byte(strings.ToLower(address) + code))
	return hex.EncodeToString(sum[:])
}

func (s *Service) newOTP(ctx context.Context) (string, error) {
	n := s.conf(ctx).OTPLength
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", n, v), nil
}

// issueOTT stores a one-time token of typ for u, sent to address, and
// returns the code and its hash.
func (s *Service) issueOTT(ctx context.Context, q querier, u *user, typ, address, fixedCode string) (code, hash string, err error) {
	code = fixedCode
	if code == "" {
		if code, err = s.newOTP(ctx); err != nil {
			return "", "", err
		}
	}
	hash = tokenHash(address, code)
	now := s.now()
	if _, err := q.Exec(ctx, `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to, created_at, updated_at)
		values ($1, $2, $3, $4, $5 at time zone 'utc', $5 at time zone 'utc')
		on conflict (user_id, token_type) do update set token_hash = excluded.token_hash, relates_to = excluded.relates_to,
			created_at = excluded.created_at, updated_at = excluded.updated_at`, u.ID, typ, hash, strings.ToLower(address), now); err != nil {
		return "", "", fmt.Errorf("storing a one-time token: %w", err)
	}
	var col, sent string
	switch typ {
	case ottConfirmation:
		col, sent = "confirmation_token", "confirmation_sent_at"
	case ottRecovery:
		col, sent = "recovery_token", "recovery_sent_at"
	case ottEmailChangeNew:
		col, sent = "email_change_token_new", "email_change_sent_at"
	case ottEmailChangeCurrent:
		col, sent = "email_change_token_current", "email_change_sent_at"
	case ottReauthentication:
		col, sent = "reauthentication_token", "reauthentication_sent_at"
	case ottPhoneChange:
		col, sent = "phone_change_token", "phone_change_sent_at"
	}
	// Column names are constants of this switch.
	if _, err := q.Exec(ctx, `update auth.users set `+col+` = $2, `+sent+` = $3 where id = $1`, u.ID, hash, now); err != nil {
		return "", "", fmt.Errorf("recording a one-time token: %w", err)
	}
	return code, hash, nil
}

// consumeOTT finds and deletes the one-time token with hash among types.
func (s *Service) consumeOTT(ctx context.Context, tx pgx.Tx, hash string, types ...string) (userID, typ, relatesTo string, err error) {
	var created time.Time
	err = tx.QueryRow(ctx, `delete from auth.one_time_tokens where token_hash = $1 and token_type::text = any($2)
		returning user_id, token_type::text, relates_to, created_at`, hash, types).Scan(&userID, &typ, &relatesTo, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", errOTPExpired
	}
	if err != nil {
		return "", "", "", fmt.Errorf("reading a one-time token: %w", err)
	}
	if s.now().UTC().Sub(created) > s.conf(ctx).OTPExpiry {
		return "", "", "", errOTPExpired
	}
	return userID, typ, relatesTo, nil
}

// mail kinds: the verify type of the link and the message.
type mailKind struct {
	verifyType string
	subject    string
	intro      string
}

var (
	mailSignup      = mailKind{"signup", "Confirm Your Signup", "Follow this link to confirm your user:"}
	mailRecovery    = mailKind{"recovery", "Reset Your Password", "Follow this link to reset the password for your user:"}
	mailMagicLink   = mailKind{"magiclink", "Your Magic Link", "Follow this link to login:"}
	mailInvite      = mailKind{"invite", "You have been invited", "You have been invited to create a user. Follow this link to accept the invite:"}
	mailEmailChange = mailKind{"email_change", "Confirm Email Change", "Follow this link to confirm the update of your email:"}
	mailReauth      = mailKind{"reauthentication", "Confirm reauthentication", "Enter the code:"}
)

// verifyLink is the link a message carries.
func (s *Service) verifyLink(r *http.Request, hash, verifyType, redirect string) string {
	// The token first, as GoTrue's links have it (url.Values would sort it last).
	return s.externalURL(r) + "/auth/v1/verify?token=" + url.QueryEscape(hash) + "&type=" + url.QueryEscape(verifyType) +
		"&redirect_to=" + url.QueryEscape(s.redirectTo(r, redirect))
}

// sendMail issues a one-time token of typ and mails its link and code.
func (s *Service) sendMail(ctx context.Context, q querier, r *http.Request, u *user, typ string, kind mailKind, to, redirect string) error {
	if err := s.allow(httpRef(r), clientIP(r), limitEmail, ""); err != nil {
		return err
	}
	code, hash, err := s.issueOTT(ctx, q, u, typ, to, "")
	if err != nil {
		return err
	}
	var body string
	if kind == mailReauth {
		body = kind.intro + " " + code + "\n"
	} else {
		body = kind.subject + "\n\n" + kind.intro + "\n" + s.verifyLink(r, hash, kind.verifyType, redirect) +
			"\n\nAlternatively, enter the code: " + code + "\n"
	}
	if err := s.mail.Send(ctx, to, kind.subject, body); err != nil {
		s.log.ErrorContext(ctx, "sending mail", "subject", kind.subject, "err", err)
		return apiErr(http.StatusInternalServerError, "email_send_failed", "Error sending "+strings.ToLower(kind.subject)+" email")
	}
	return nil
}

// sendSMS issues a phone OTP of typ and texts it (or uses a test OTP).
// Without an SMS sender only the test numbers get codes: the others are
// refused as GoTrue refuses a message its provider did not take.
func (s *Service) sendSMS(ctx context.Context, q querier, r *http.Request, u *user, typ, phone string) error {
	fixed, isTest := s.cfg.SMS.TestOTP[phone]
	if !isTest && !s.hasSMS {
		return errSMSSendFailed(typ, "no SMS provider is configured")
	}
	if !isTest {
		if err := s.allow(httpRef(r), clientIP(r), limitSMS, ""); err != nil {
			return err
		}
	}
	code, _, err := s.issueOTT(ctx, q, u, typ, phone, fixed)
	if err != nil {
		return err
	}
	if isTest {
		return nil
	}
	if err := s.sms.SendSMS(ctx, phone, "Your code is "+code); err != nil {
		s.log.ErrorContext(ctx, "sending sms", "err", err)
		return errSMSSendFailed(typ, "the provider did not take the message")
	}
	return nil
}

// errSMSSendFailed is GoTrue's answer when its SMS provider fails: 422
// sms_send_failed naming the kind of code (confirmation, phone_change,
// reauthentication).
func errSMSSendFailed(ottType, why string) *Error {
	kind := strings.TrimSuffix(ottType, "_token")
	return apiErr(http.StatusUnprocessableEntity, "sms_send_failed", fmt.Sprintf("Error sending %s OTP to provider: %s", kind, why))
}

// errPhoneDisabled is GoTrue's answer to a phone sign-in when no SMS
// provider is configured (nor a test number).
var errPhoneDisabled = badRequest("phone_provider_disabled", "Unsupported phone provider")

// PKCE.

var (
	errFlowStateNotFound = apiErr(http.StatusNotFound, "flow_state_not_found", "invalid flow state, no valid flow state found")
	errBadCodeVerifier   = apiErr(http.StatusForbidden, "bad_code_verifier", "code challenge does not match previously saved code verifier")
	errFlowStateExpired  = apiErr(http.StatusForbidden, "flow_state_expired", "Flow state has expired")
)

// flowStateTTL bounds the time between starting a PKCE flow and exchanging its code.
const flowStateTTL = 10 * time.Minute

func validChallenge(challenge, method string) error {
	if challenge == "" {
		return nil
	}
	if m := strings.ToLower(method); m != "s256" && m != "plain" {
		return errValidation("code challenge method not supported")
	}
	if len(challenge) < 43 || len(challenge) > 128 {
		return errValidation("code challenge has to be between 43 and 128 characters")
	}
	return nil
}

// newFlowState records a PKCE flow for u and returns its auth code.
func (s *Service) newFlowState(ctx context.Context, q querier, u *user, challenge, method, authMethod string) (string, error) {
	id, err := newUUID()
	if err != nil {
		return "", err
	}
	code, err := newUUID()
	if err != nil {
		return "", err
	}
	if _, err := q.Exec(ctx, `delete from auth.flow_state where user_id = $1 and authentication_method = $2`, u.ID, authMethod); err != nil {
		return "", fmt.Errorf("replacing a flow state: %w", err)
	}
	if _, err := q.Exec(ctx, `insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, provider_type, authentication_method, created_at, updated_at)
		values ($1, $2, $3, $4, $5, 'email', $6, $7, $7)`, id, u.ID, code, strings.ToLower(method), challenge, authMethod, s.now()); err != nil {
		return "", fmt.Errorf("storing a flow state: %w", err)
	}
	return code, nil
}

// pendingFlow returns the auth code of u's PKCE flow for authMethod, if any,
// marking it issued.
func (s *Service) pendingFlow(ctx context.Context, q querier, u *user, authMethod string) (string, bool, error) {
	var code string
	now := s.now()
	err := q.QueryRow(ctx, `update auth.flow_state set auth_code_issued_at = $3 where user_id = $1 and authentication_method = $2
		and created_at > $4 returning auth_code`, u.ID, authMethod, now, now.Add(-flowStateTTL)).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading a flow state: %w", err)
	}
	return code, true, nil
}

// exchangePKCE checks verifier against the flow of authCode and returns the
// user id and the authentication method; the flow is consumed.
func (s *Service) exchangePKCE(ctx context.Context, tx pgx.Tx, authCode, verifier string) (string, string, error) {
	var (
		userID                    *string
		method, challenge, amrFor string
		created                   time.Time
	)
	err := tx.QueryRow(ctx, `delete from auth.flow_state where auth_code = $1
		returning user_id, code_challenge_method::text, code_challenge, authentication_method, created_at`, authCode).
		Scan(&userID, &method, &challenge, &amrFor, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", errFlowStateNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("reading a flow state: %w", err)
	}
	if s.now().Sub(created) > flowStateTTL {
		return "", "", errFlowStateExpired
	}
	want := verifier
	if method == "s256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 || userID == nil {
		return "", "", errBadCodeVerifier
	}
	return *userID, amrFor, nil
}
