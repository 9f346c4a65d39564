package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Config configures the auth service of every project. The zero value is the
// documented default: a local install where sign-ups are confirmed at once.
type Config struct {
	// ExternalURL is the public base URL of the API (for links in mail),
	// default: the scheme and host of the request.
	ExternalURL string `toml:"external_url"`
	// SiteURL is where links redirect when redirect_to is absent or not allowed.
	// Default: ExternalURL.
	SiteURL string `toml:"site_url"`
	// AdditionalRedirectURLs are allowed redirect_to prefixes besides SiteURL.
	AdditionalRedirectURLs []string `toml:"additional_redirect_urls"`
	// DisableSignup refuses new users (admin create still works).
	DisableSignup bool `toml:"disable_signup"`
	// EnableConfirmations requires new email and phone users to confirm
	// before signing in. Default false: confirmed at sign-up (local install).
	EnableConfirmations bool `toml:"enable_confirmations"`
	// DisableAnonymous refuses anonymous sign-ins.
	DisableAnonymous bool `toml:"disable_anonymous"`
	// APIKeyOptional lets /auth/v1 answer requests that carry no apikey
	// (nor bearer), as the Supabase CLI's local gateway does; a key that is
	// sent must still be valid. Default false: Supabase's gateway requires one.
	APIKeyOptional bool `toml:"api_key_optional"`
	// DoubleConfirmChanges makes a confirmed email change wait for the links
	// mailed to both the current and the new address (GoTrue's
	// MAILER_SECURE_EMAIL_CHANGE_ENABLED, the CLI's double_confirm_changes).
	// It applies with enable_confirmations. Default false: the new address
	// alone confirms (GoTrue and the CLI default to true).
	DoubleConfirmChanges bool `toml:"double_confirm_changes"`
	// SecurePasswordChange requires a reauthentication nonce (GET
	// /reauthenticate) to change the password of a session older than 24h
	// (GoTrue's SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION, the
	// CLI's secure_password_change). Default false.
	SecurePasswordChange bool `toml:"secure_password_change"`
	// JWTExpiry is the lifetime of access tokens. Default 1h.
	JWTExpiry time.Duration `toml:"jwt_expiry"`
	// JWTAlgorithm signs access tokens: "HS256" (default, the project
	// secret), "RS256" or "ES256" (the project's signing key).
	JWTAlgorithm string `toml:"jwt_algorithm"`
	// SigningKeysPath is a file of JWKs that sign and verify tokens instead
	// of generated ones (the Supabase CLI's signing_keys_path): a JSON array
	// of JWKs, as GoTrue and `supabase gen signing-key` write it, or a JWK
	// Set. The key with key_ops "sign" signs, else the first private key.
	SigningKeysPath string `toml:"signing_keys_path"`
	// SigningKeys is the same text given inline (GoTrue's GOTRUE_JWT_KEYS).
	SigningKeys string `toml:"signing_keys" secret:"true"`
	// RefreshTokenReuseInterval is how long a rotated refresh token may be
	// presented again (a client retrying) before reuse revokes the session.
	// Default 10s.
	RefreshTokenReuseInterval time.Duration `toml:"refresh_token_reuse_interval"`
	// BcryptCost is the cost of new password hashes. Default 10 (GoTrue's).
	BcryptCost int `toml:"bcrypt_cost"`
	// PasswordMinLength is the shortest password accepted. Default 6.
	PasswordMinLength int `toml:"password_min_length"`
	// PasswordRequiredCharacters are character sets a password must each
	// draw from, e.g. ["abcdefghijklmnopqrstuvwxyz", "0123456789"].
	PasswordRequiredCharacters []string `toml:"password_required_characters"`
	// OTPExpiry bounds email and SMS links and codes. Default 1h.
	OTPExpiry time.Duration `toml:"otp_expiry"`
	// OTPLength is the number of digits of codes. Default 6.
	OTPLength int `toml:"otp_length"`
	// MFAMaxFactors bounds a user's enrolled factors. Default 10.
	MFAMaxFactors int `toml:"mfa_max_factors"`
	// SMTP sends mail; without a host mail is logged, not sent.
	SMTP SMTPConfig `toml:"smtp"`
	// SMS configures phone sign-in.
	SMS SMSConfig `toml:"sms"`
	// RateLimit bounds abuse.
	RateLimit RateLimitConfig `toml:"rate_limit"`
}

// SMTPConfig configures outgoing mail.
type SMTPConfig struct {
	Host string `toml:"host"`
	Port int    `toml:"port"` // default 587
	User string `toml:"user"`
	Pass string `toml:"pass" secret:"true"`
	// From is the sender address. Default "noreply@localhost".
	From string `toml:"from"`
	// TLS is "starttls" (default when the server offers it), "tls" (implicit
	// TLS, port 465) or "none".
	TLS string `toml:"tls"`
}

// SMSConfig configures phone sign-in.
type SMSConfig struct {
	// TestOTP maps phone numbers to fixed codes that are accepted without
	// sending an SMS (GoTrue's sms.test_otp).
	TestOTP map[string]string `toml:"test_otp"`
}

// RateLimitConfig sets the abuse limits. Each is a count per window per
// client IP; per-account limits count per email or phone.
type RateLimitConfig struct {
	// Disabled turns every limit off (benchmarks, trusted networks).
	Disabled bool `toml:"disabled"`
	// SignInSignUps per 5 minutes per IP (password/PKCE grants, sign-ups,
	// verifications). Default 60.
	SignInSignUps int `toml:"sign_in_sign_ups"`
	// TokenRefresh per 5 minutes per IP. Default 300.
	TokenRefresh int `toml:"token_refresh"`
	// EmailSent per hour per IP (recover, otp, resend, signup mail). Default 30.
	EmailSent int `toml:"email_sent"`
	// SMSSent per hour per IP. Default 30.
	SMSSent int `toml:"sms_sent"`
	// PerAccount attempts per 5 minutes per email or phone on token,
	// signup, recover and otp. Default 30.
	PerAccount int `toml:"per_account"`
}

func (c Config) withDefaults() Config {
	if c.JWTExpiry <= 0 {
		c.JWTExpiry = time.Hour
	}
	if c.JWTAlgorithm == "" {
		c.JWTAlgorithm = "HS256"
	}
	if c.RefreshTokenReuseInterval <= 0 {
		c.RefreshTokenReuseInterval = 10 * time.Second
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	if c.PasswordMinLength <= 0 {
		c.PasswordMinLength = 6
	}
	if c.OTPExpiry <= 0 {
		c.OTPExpiry = time.Hour
	}
	if c.OTPLength <= 0 {
		c.OTPLength = 6
	}
	if c.MFAMaxFactors <= 0 {
		c.MFAMaxFactors = 10
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = 587
	}
	if c.SMTP.From == "" {
		c.SMTP.From = "noreply@localhost"
	}
	r := &c.RateLimit
	for _, d := range []struct {
		v   *int
		def int
	}{{&r.SignInSignUps, 60}, {&r.TokenRefresh, 300}, {&r.EmailSent, 30}, {&r.SMSSent, 30}, {&r.PerAccount, 30}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return c
}

// Validate reports values that cannot work. Zero values are defaults.
// [Service.Start] calls it, and reads the signing keys files, so that a bad
// setting stops the boot.
func (c Config) Validate() error {
	var problems []string
	for _, check := range []func() []string{c.cryptoProblems, c.urlProblems, c.rangeProblems, c.smtpProblems, c.smsProblems} {
		problems = append(problems, check()...)
	}
	errs := make([]error, 0, len(problems))
	for _, p := range problems {
		errs = append(errs, errors.New("auth."+p))
	}
	return errors.Join(errs...)
}

func (c Config) cryptoProblems() []string {
	var out []string
	switch strings.ToUpper(c.JWTAlgorithm) {
	case "", "HS256", "RS256", "ES256":
	default:
		out = append(out, fmt.Sprintf("jwt_algorithm %q: want HS256, RS256 or ES256", c.JWTAlgorithm))
	}
	if c.BcryptCost != 0 && (c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost) {
		out = append(out, fmt.Sprintf("bcrypt_cost %d: want %d..%d", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	return out
}

// urlProblems checks the URLs as a project's own settings are checked.
func (c Config) urlProblems() []string {
	var out []string
	add := func(p string) {
		if p != "" {
			out = append(out, p)
		}
	}
	if c.ExternalURL != "" {
		if u, err := url.Parse(c.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(fmt.Sprintf("external_url %q: want an absolute http(s) URL", c.ExternalURL))
		}
	}
	if c.SiteURL != "" {
		add(urlProblem("site_url", c.SiteURL))
	}
	for _, u := range c.AdditionalRedirectURLs {
		add(urlProblem("additional_redirect_urls", u))
	}
	return out
}

// rangeProblems checks the bounds a project's own settings must keep; zero
// is the default, a negative value a mistake.
func (c Config) rangeProblems() []string {
	var out []string
	add := func(set bool, p string) {
		if set && p != "" {
			out = append(out, p)
		}
	}
	add(c.JWTExpiry != 0, durationProblem("jwt_expiry", duration(c.JWTExpiry), time.Minute, 7*24*time.Hour))
	add(c.RefreshTokenReuseInterval != 0, durationProblem("refresh_token_reuse_interval", duration(c.RefreshTokenReuseInterval), 0, time.Hour))
	add(c.OTPExpiry != 0, durationProblem("otp_expiry", duration(c.OTPExpiry), time.Minute, 24*time.Hour))
	add(c.PasswordMinLength != 0, intProblem("password_min_length", c.PasswordMinLength, 6, 72, " (bcrypt reads 72 bytes)"))
	add(c.OTPLength != 0, intProblem("otp_length", c.OTPLength, 6, 10, ""))
	add(c.MFAMaxFactors != 0, intProblem("mfa_max_factors", c.MFAMaxFactors, 1, 100, ""))
	for _, chars := range c.PasswordRequiredCharacters {
		add(chars == "" || strings.ContainsRune(chars, 0), "password_required_characters: each set must hold characters, and no NUL")
	}
	r := c.RateLimit
	add(r.SignInSignUps < 0 || r.TokenRefresh < 0 || r.EmailSent < 0 || r.SMSSent < 0 || r.PerAccount < 0, "rate_limit: limits must not be negative")
	return out
}

func (c Config) smtpProblems() []string {
	var out []string
	switch c.SMTP.TLS {
	case "", "starttls", "tls", "none":
	default:
		out = append(out, fmt.Sprintf("smtp.tls %q: want starttls, tls or none", c.SMTP.TLS))
	}
	if strings.ContainsAny(c.SMTP.From, "\r\n<>") {
		out = append(out, "smtp.from: a plain address, without line breaks or angle brackets")
	}
	if c.SMTP.Host != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Host); err == nil {
			out = append(out, "smtp.host: give the port in auth.smtp.port")
		}
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		out = append(out, fmt.Sprintf("smtp.port %d: want 1..65535", c.SMTP.Port))
	}
	return out
}

// smsProblems checks the test numbers: each as mobo stores a phone (E.164
// digits, no "+"), each code digits only.
func (c Config) smsProblems() []string {
	var out []string
	for phone, code := range c.SMS.TestOTP {
		if !phoneRe.MatchString(phone) {
			out = append(out, fmt.Sprintf("sms.test_otp %q: want an E.164 number as digits only, e.g. \"15550100000\"", phone))
		}
		if strings.Trim(code, "0123456789") != "" || len(code) < 4 || len(code) > 10 {
			out = append(out, fmt.Sprintf("sms.test_otp %q: the code must be 4 to 10 digits", phone))
		}
	}
	slices.Sort(out)
	return out
}

// Defaults returns the configuration in effect when nothing is set, for
// `mobo config` to show.
func Defaults() Config { return Config{}.withDefaults() }
