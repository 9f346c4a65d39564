package main

import (
	"github.com/spf13/cobra"
)

// authSettingFlags are the CLI flags of `project auth-config`.
var authSettingFlags = []settingFlag{
	{"site-url", "site_url", "string", "where links redirect when redirect_to is absent or not allowed"},
	{"redirect-urls", "additional_redirect_urls", "list", "allowed redirect_to prefixes besides the site URL, comma-separated"},
	{"disable-signup", "disable_signup", "bool", "refuse new users (admin create still works)"},
	{"enable-confirmations", "enable_confirmations", "bool", "new users confirm their email or phone before signing in"},
	{"disable-anonymous", "disable_anonymous", "bool", "refuse anonymous sign-ins"},
	{"api-key-optional", "api_key_optional", "bool", "answer /auth/v1 requests that carry no apikey, as the Supabase CLI's local gateway does"},
	{"double-confirm-changes", "double_confirm_changes", "bool", "an email change waits for the links sent to both the current and the new address"},
	{"secure-password-change", "secure_password_change", "bool", "changing the password of a session older than 24h needs a reauthentication nonce"},
	{"jwt-expiry", "jwt_expiry", "string", "lifetime of access tokens, e.g. 1h"},
	{"refresh-token-reuse-interval", "refresh_token_reuse_interval", "string", "how long a rotated refresh token may be presented again, e.g. 10s"},
	{"password-min-length", "password_min_length", "int", "shortest password accepted"},
	{"password-required-characters", "password_required_characters", "list", "character sets a password must each draw from, comma-separated"},
	{"otp-expiry", "otp_expiry", "string", "lifetime of email and SMS links and codes, e.g. 1h"},
	{"otp-length", "otp_length", "int", "digits of one-time codes (6 to 10)"},
	{"mfa-max-factors", "mfa_max_factors", "int", "most MFA factors a user may enroll"},
}

func projectAuthConfigCmd() *cobra.Command {
	return settingsCmd("auth-config", "auth settings", "auth", "Changes apply to the project's next request.", "auth", authSettingFlags)
}
