package authsentry

import (
	"errors"
	"fmt"
	"time"
)

// DefaultFailureReasons are the failure reasons counted as a wrong
// secret when [Config.FailureReasons] is empty.
var DefaultFailureReasons = []string{"invalid_credentials", "user_not_found", "otp_expired", "mfa_verification_failed"}

// Config sets AuthSentry's thresholds. The zero value of each field means
// its documented default; negative values are invalid.
type Config struct {
	// BruteForceFailures failed attempts on one account within
	// BruteForceWindow are a brute force. Default 10 within 5m.
	BruteForceFailures int           `toml:"brute_force_failures"`
	BruteForceWindow   time.Duration `toml:"brute_force_window"`
	// BruteForceSourceFailures failures on an account under brute force
	// from one address name that address too. Default 3: the account's
	// owner mistyping once during the attack is not named.
	BruteForceSourceFailures int `toml:"brute_force_source_failures"`
	// StuffingAccounts distinct accounts failed from one address (or
	// StuffingNetAccounts from one /24 or /64) within StuffingWindow are
	// credential stuffing. Default 20, 50, 10m.
	StuffingAccounts    int           `toml:"stuffing_accounts"`
	StuffingNetAccounts int           `toml:"stuffing_net_accounts"`
	StuffingWindow      time.Duration `toml:"stuffing_window"`
	// SprayingAccounts distinct accounts from one address (or
	// SprayingNetAccounts from one network) within SprayingWindow, with at
	// most SprayingMaxPerAccount attempts per account on average, are
	// password spraying. Default 30, 60, 1h, 3.
	SprayingAccounts      int           `toml:"spraying_accounts"`
	SprayingNetAccounts   int           `toml:"spraying_net_accounts"`
	SprayingWindow        time.Duration `toml:"spraying_window"`
	SprayingMaxPerAccount float64       `toml:"spraying_max_per_account"`
	// MFAFailures failed MFA verifies for one user within MFAWindow are
	// code guessing. Default 5 within 10m.
	MFAFailures int           `toml:"mfa_failures"`
	MFAWindow   time.Duration `toml:"mfa_window"`
	// TokenNotFound unknown refresh tokens from one address within
	// TokenWindow are a replay; TokenWindow is also how often one
	// session's reuse is reported. Default 10 within 10m.
	TokenNotFound int           `toml:"token_not_found"`
	TokenWindow   time.Duration `toml:"token_window"`
	// FailureReasons are the [event.Auth] reasons counted as a wrong
	// secret. Default [DefaultFailureReasons].
	FailureReasons []string `toml:"failure_reasons"`
	// MaxActors bounds each table of state (accounts, addresses and
	// networks, users and sessions). Default 65536.
	MaxActors int `toml:"max_actors"`
}

// Validate reports every problem in c, each wrapping [ErrInvalidConfig].
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]int{
		"brute_force_failures": c.BruteForceFailures, "brute_force_source_failures": c.BruteForceSourceFailures, "stuffing_accounts": c.StuffingAccounts,
		"stuffing_net_accounts": c.StuffingNetAccounts, "spraying_accounts": c.SprayingAccounts,
		"spraying_net_accounts": c.SprayingNetAccounts, "mfa_failures": c.MFAFailures,
		"token_not_found": c.TokenNotFound, "max_actors": c.MaxActors,
	} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %d, want 0 (the default) or more", ErrInvalidConfig, name, v))
		}
	}
	for _, n := range []int{c.BruteForceFailures, c.StuffingAccounts, c.StuffingNetAccounts, c.SprayingAccounts, c.SprayingNetAccounts, c.MFAFailures, c.TokenNotFound} {
		if n > 1000 {
			errs = append(errs, fmt.Errorf("%w: a threshold of %d is over 1000: state is kept per value up to the threshold", ErrInvalidConfig, n))
			break
		}
	}
	for name, d := range map[string]time.Duration{
		"brute_force_window": c.BruteForceWindow, "stuffing_window": c.StuffingWindow,
		"spraying_window": c.SprayingWindow, "mfa_window": c.MFAWindow, "token_window": c.TokenWindow,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %v, want 0 (the default) or more", ErrInvalidConfig, name, d))
		}
	}
	if c.SprayingMaxPerAccount < 0 {
		errs = append(errs, fmt.Errorf("%w: spraying_max_per_account is %v, want 0 (the default) or more", ErrInvalidConfig, c.SprayingMaxPerAccount))
	}
	for _, r := range c.FailureReasons {
		if r == "" {
			errs = append(errs, fmt.Errorf("%w: failure_reasons holds an empty reason", ErrInvalidConfig))
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.BruteForceFailures, 10)
	dur(&c.BruteForceWindow, 5*time.Minute)
	def(&c.BruteForceSourceFailures, 3)
	def(&c.StuffingAccounts, 20)
	def(&c.StuffingNetAccounts, 50)
	dur(&c.StuffingWindow, 10*time.Minute)
	def(&c.SprayingAccounts, 30)
	def(&c.SprayingNetAccounts, 60)
	dur(&c.SprayingWindow, time.Hour)
	if c.SprayingMaxPerAccount == 0 {
		c.SprayingMaxPerAccount = 3
	}
	def(&c.MFAFailures, 5)
	dur(&c.MFAWindow, 10*time.Minute)
	def(&c.TokenNotFound, 10)
	dur(&c.TokenWindow, 10*time.Minute)
	if len(c.FailureReasons) == 0 {
		c.FailureReasons = DefaultFailureReasons
	}
	def(&c.MaxActors, 1<<16)
	return c
}
