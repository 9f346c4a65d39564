package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/auth"
	"github.com/magflock/mobo/internal/gate"
)

// newKeysCmd manages a project's scoped secret API keys through the running
// server's auth API (/auth/v1/admin/keys), with the project's service_role
// key fetched over the admin API.
func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke scoped secret API keys",
	}
	cmd.PersistentFlags().String("project", "default", "project ref")
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a key; the secret is shown once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			name, _ := f.GetString("name")
			scopes, _ := f.GetStringSlice("scope")
			roles, _ := f.GetStringSlice("role")
			ips, _ := f.GetStringSlice("allow-ip")
			expires, _ := f.GetDuration("expires-in")
			if len(scopes) == 0 {
				return errors.New("give at least one --scope (rest:read:public.todos, rest:write:*, auth:admin, …)")
			}
			for _, s := range scopes {
				if _, err := gate.ParseScope(s); err != nil {
					return err
				}
			}
			body := map[string]any{"name": name, "scopes": scopes, "roles": roles, "allowed_ips": ips}
			if expires > 0 {
				body["expires_in"] = expires.String()
			}
			var out struct {
				Key    string       `json:"key"`
				APIKey auth.KeyInfo `json:"api_key"`
			}
			if err := keysCall(cmd, http.MethodPost, "", body, &out); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, out)
			}
			fmt.Fprintf(w, "key %s created (%s)\n\n  %s\n\nThis is the only time the secret is shown; store it now.\n", out.APIKey.ID, strings.Join(out.APIKey.Scopes, " "), out.Key)
			return nil
		},
	}
	create.Flags().String("name", "", "a name to recognise the key by")
	create.Flags().StringSlice("scope", nil, "a scope; repeat for several")
	create.Flags().StringSlice("role", nil, "an RBAC role the key acts with; repeat for several")
	create.Flags().StringSlice("allow-ip", nil, "an address or CIDR the key may be used from; repeat for several")
	create.Flags().Duration("expires-in", 0, "lifetime (e.g. 720h); default: no expiry")

	list := &cobra.Command{
		Use:   "list",
		Short: "List keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Keys []auth.KeyInfo `json:"keys"`
			}
			if err := keysCall(cmd, http.MethodGet, "", nil, &out); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, out.Keys)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tEXPIRES\tLAST USED\tSTATE")
			for _, k := range out.Keys {
				state := "active"
				switch {
				case k.RevokedAt != nil:
					state = "revoked"
				case k.ExpiresAt != nil && k.ExpiresAt.Before(time.Now()):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Scopes, " "), timeOrDash(k.ExpiresAt), timeOrDash(k.LastUsedAt), state)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key; it fails from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := keysCall(cmd, http.MethodDelete, "/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	allowOffline(cmd)
	return cmd
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// keysCall sends a request to the project's /auth/v1/admin/keys with its
// service_role key.
func keysCall(cmd *cobra.Command, method, path string, body, v any) error {
	t, err := findServer(cmd, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	ref, _ := cmd.Flags().GetString("project")
	var p admin.Project
	if err := t.get(cmd.Context(), "/admin/v1/projects/"+url.PathEscape(ref), &p); err != nil {
		return err
	}
	base := strings.TrimRight(p.APIURL, "/")
	if base == "" {
		base = t.url
	}
	return authAdminDo(cmd.Context(), base+"/auth/v1/admin/keys"+path, p.ServiceKey, method, body, v)
}

func authAdminDo(ctx context.Context, u, key, method string, body, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("apikey", key)
	h.Set("Authorization", "Bearer "+key)
	return doJSON(ctx, method, u, h, body, v)
}
