package authsentry

import (
	"time"

	"github.com/magflock/mobo/internal/sentinel/agentconfig"
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
	p := agentconfig.Check(ErrInvalidConfig)
	agentconfig.NonNegative(p, "brute_force_failures", c.BruteForceFailures)
	agentconfig.NonNegative(p, "brute_force_source_failures", c.BruteForceSourceFailures)
	agentconfig.NonNegative(p, "stuffing_accounts", c.StuffingAccounts)
	agentconfig.NonNegative(p, "stuffing_net_accounts", c.StuffingNetAccounts)
	agentconfig.NonNegative(p, "spraying_accounts", c.SprayingAccounts)
	agentconfig.NonNegative(p, "spraying_net_accounts", c.SprayingNetAccounts)
	agentconfig.NonNegative(p, "mfa_failures", c.MFAFailures)
	agentconfig.NonNegative(p, "token_not_found", c.TokenNotFound)
	agentconfig.NonNegative(p, "max_actors", c.MaxActors)
	for _, n := range []int{c.BruteForceFailures, c.StuffingAccounts, c.StuffingNetAccounts, c.SprayingAccounts, c.SprayingNetAccounts, c.MFAFailures, c.TokenNotFound} {
		if n > 1000 {
			p.Addf("a threshold of %d is over 1000: state is kept per value up to the threshold", n)
			break
		}
	}
	agentconfig.NonNegative(p, "brute_force_window", c.BruteForceWindow)
	agentconfig.NonNegative(p, "stuffing_window", c.StuffingWindow)
	agentconfig.NonNegative(p, "spraying_window", c.SprayingWindow)
	agentconfig.NonNegative(p, "mfa_window", c.MFAWindow)
	agentconfig.NonNegative(p, "token_window", c.TokenWindow)
	agentconfig.NonNegative(p, "spraying_max_per_account", c.SprayingMaxPerAccount)
	for _, r := range c.FailureReasons {
		if r == "" {
			p.Addf("failure_reasons holds an empty reason")
		}
	}
	return p.Err()
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	agentconfig.Default(&c.BruteForceFailures, 10)
	agentconfig.Default(&c.BruteForceWindow, 5*time.Minute)
	agentconfig.Default(&c.BruteForceSourceFailures, 3)
	agentconfig.Default(&c.StuffingAccounts, 20)
	agentconfig.Default(&c.StuffingNetAccounts, 50)
	agentconfig.Default(&c.StuffingWindow, 10*time.Minute)
	agentconfig.Default(&c.SprayingAccounts, 30)
	agentconfig.Default(&c.SprayingNetAccounts, 60)
	agentconfig.Default(&c.SprayingWindow, time.Hour)
	agentconfig.Default(&c.SprayingMaxPerAccount, 3)
	agentconfig.Default(&c.MFAFailures, 5)
	agentconfig.Default(&c.MFAWindow, 10*time.Minute)
	agentconfig.Default(&c.TokenNotFound, 10)
	agentconfig.Default(&c.TokenWindow, 10*time.Minute)
	agentconfig.DefaultList(&c.FailureReasons, DefaultFailureReasons)
	agentconfig.Default(&c.MaxActors, 1<<16)
	return c
}
