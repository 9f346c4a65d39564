package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/tenant"
)

// authConfigAdmin gives the admin API the auth service's per-project
// settings, with the HTTP status of each client error.
type authConfigAdmin struct{ s *auth.Service }

var (
	_ admin.Settings     = authConfigAdmin{}
	_ auth.SettingsStore = (*tenant.Manager)(nil)
)

func mapAuthConfigError(err error) error {
	if errors.Is(err, auth.ErrInvalidSettings) {
		return clientError{err, http.StatusBadRequest}
	}
	return mapTenantError(err)
}

func (a authConfigAdmin) ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error) {
	out, err := a.s.ProjectConfig(ctx, ref)
	return out, mapAuthConfigError(err)
}

func (a authConfigAdmin) PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error) {
	out, err := a.s.PatchProjectConfig(ctx, ref, patch)
	return out, mapAuthConfigError(err)
}

// authSettingFlags are the CLI flags of `project auth-config`, by setting
// name and kind.
var authSettingFlags = []struct{ flag, key, kind, usage string }{
	{"site-url", "site_url", "string", "where links redirect when redirect_to is absent or not allowed"},
	{"redirect-urls", "additional_redirect_urls", "list", "allowed redirect_to prefixes besides the site URL, comma-separated"},
	{"disable-signup", "disable_signup", "bool", "refuse new users (admin create still works)"},
	{"enable-confirmations", "enable_confirmations", "bool", "new users confirm their email or phone before signing in"},
	{"disable-anonymous", "disable_anonymous", "bool", "refuse anonymous sign-ins"},
	{"jwt-expiry", "jwt_expiry", "string", "lifetime of access tokens, e.g. 1h"},
	{"refresh-token-reuse-interval", "refresh_token_reuse_interval", "string", "how long a rotated refresh token may be presented again, e.g. 10s"},
	{"password-min-length", "password_min_length", "int", "shortest password accepted"},
	{"password-required-characters", "password_required_characters", "list", "character sets a password must each draw from, comma-separated"},
	{"otp-expiry", "otp_expiry", "string", "lifetime of email and SMS links and codes, e.g. 1h"},
	{"otp-length", "otp_length", "int", "digits of one-time codes (6 to 10)"},
	{"mfa-max-factors", "mfa_max_factors", "int", "most MFA factors a user may enroll"},
}

func projectAuthConfigCmd() *cobra.Command {
	var reset []string
	c := &cobra.Command{
		Use:   "auth-config REF",
		Short: "Show or change a project's auth settings (overrides of the [auth] section)",
		Long: "Without flags, show the project's auth settings. Each flag sets the project's own value;\n" +
			"--reset NAME (repeatable) returns a setting to the platform's. Changes apply to the next request.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch := map[string]any{}
			for _, f := range authSettingFlags {
				if !cmd.Flags().Changed(f.flag) {
					continue
				}
				switch f.kind {
				case "string":
					patch[f.key], _ = cmd.Flags().GetString(f.flag)
				case "list":
					v, _ := cmd.Flags().GetStringSlice(f.flag)
					patch[f.key] = nonNil(v)
				case "int":
					patch[f.key], _ = cmd.Flags().GetInt(f.flag)
				case "bool":
					patch[f.key], _ = cmd.Flags().GetBool(f.flag)
				}
			}
			for _, name := range reset {
				k, ok := authSettingKey(name)
				if !ok {
					return fmt.Errorf("--reset %s: no such setting (one of %s)", name, strings.Join(authKeys(), ", "))
				}
				if _, ok := patch[k]; ok {
					return fmt.Errorf("%s is both set and reset", k)
				}
				patch[k] = nil
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			path := "/admin/v1/projects/" + url.PathEscape(args[0]) + "/auth"
			var pc auth.ProjectConfig
			if len(patch) == 0 {
				err = t.get(cmd.Context(), path, &pc)
			} else {
				err = t.do(cmd.Context(), "PATCH", path, patch, &pc)
			}
			if err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), pc)
			}
			return printSettings(cmd, "auth settings of "+pc.Ref, pc.Overrides, pc.Effective, authKeys())
		},
	}
	for _, f := range authSettingFlags {
		switch f.kind {
		case "string":
			c.Flags().String(f.flag, "", f.usage)
		case "list":
			c.Flags().StringSlice(f.flag, nil, f.usage)
		case "int":
			c.Flags().Int(f.flag, 0, f.usage)
		case "bool":
			c.Flags().Bool(f.flag, false, f.usage)
		}
	}
	c.Flags().StringSliceVar(&reset, "reset", nil, "setting to return to the platform's (e.g. disable_signup)")
	return c
}

// authSettingKey maps a setting's key or flag name to its key.
func authSettingKey(name string) (string, bool) {
	for _, f := range authSettingFlags {
		if name == f.key || name == f.flag {
			return f.key, true
		}
	}
	return "", false
}

func authKeys() []string {
	keys := make([]string, len(authSettingFlags))
	for i, f := range authSettingFlags {
		keys[i] = f.key
	}
	return keys
}

// printSettings shows an API's settings of a project: each key's effective
// value and whether the project set it.
func printSettings(cmd *cobra.Command, title string, overrides json.RawMessage, effective any, keys []string) error {
	var own map[string]json.RawMessage
	_ = json.Unmarshal(overrides, &own)
	eff, err := json.Marshal(effective)
	if err != nil {
		return err
	}
	var values map[string]json.RawMessage
	if err := json.Unmarshal(eff, &values); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t\t\n", title)
	for _, k := range keys {
		from := "default"
		if _, ok := own[k]; ok {
			from = "project"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, values[k], from)
	}
	return tw.Flush()
}
