package auth

import (
	"errors"
	"fmt"
	"net"
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
	// JWTExpiry is the lifetime of access tokens. Default 1h.
	JWTExpiry time.Duration `toml:"jwt_expiry"`
	// JWTAlgorithm signs access tokens: "HS256" (default, the project
	// secret), "RS256" or "ES256" (the project's signing key).
	JWTAlgorithm string `toml:"jwt_algorithm"`
	// SigningKeysPath is a JWK set file whose private keys sign tokens
	// instead of generated ones (GoTrue's signing_keys_path).
	SigningKeysPath string `toml:"signing_keys_path"`
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

// Validate reports values that cannot work.
func (c Config) Validate() error {
	var errs []error
	switch strings.ToUpper(c.JWTAlgorithm) {
	case "", "HS256", "RS256", "ES256":
	default:
		errs = append(errs, fmt.Errorf("auth.jwt_algorithm %q: want HS256, RS256 or ES256", c.JWTAlgorithm))
	}
	if c.BcryptCost != 0 && (c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost) {
		errs = append(errs, fmt.Errorf("auth.bcrypt_cost %d: want %d..%d", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	if c.OTPLength != 0 && (c.OTPLength < 6 || c.OTPLength > 10) {
		errs = append(errs, fmt.Errorf("auth.otp_length %d: want 6..10", c.OTPLength))
	}
	switch c.SMTP.TLS {
	case "", "starttls", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("auth.smtp.tls %q: want starttls, tls or none", c.SMTP.TLS))
	}
	if strings.ContainsAny(c.SMTP.From, "\r\n<>") {
		errs = append(errs, errors.New("auth.smtp.from: a plain address, without line breaks or angle brackets"))
	}
	if c.SMTP.Host != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Host); err == nil {
			errs = append(errs, errors.New("auth.smtp.host: give the port in auth.smtp.port"))
		}
	}
	return errors.Join(errs...)
}

// Defaults returns the configuration in effect when nothing is set, for
// `mobo config` to show.
func Defaults() Config { return Config{}.withDefaults() }
