package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/rest"
)

// restConfigAdmin gives the admin API the REST component's per-project
// settings, with the HTTP status of each client error.
type restConfigAdmin struct{ s *rest.Server }

var _ admin.RESTConfig = restConfigAdmin{}

func mapRESTConfigError(err error) error {
	if errors.Is(err, rest.ErrInvalidConfig) {
		return clientError{err, http.StatusBadRequest}
	}
	return mapTenantError(err)
}

func (a restConfigAdmin) ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error) {
	out, err := a.s.ProjectConfig(ctx, ref)
	return out, mapRESTConfigError(err)
}

func (a restConfigAdmin) PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error) {
	out, err := a.s.PatchProjectConfig(ctx, ref, patch)
	return out, mapRESTConfigError(err)
}

// restSettingFlags are the CLI flags of `project config`, by setting name.
var restSettingFlags = []struct{ flag, key, usage string }{
	{"schemas", "schemas", "exposed schemas, comma-separated; the first is the default"},
	{"extra-search-path", "extra_search_path", "schemas appended to each request's search path, comma-separated"},
	{"max-rows", "max_rows", "most rows a read returns (0: no cap)"},
	{"aggregates", "aggregates", "allow aggregate functions in select"},
	{"disable-anonymous", "disable_anonymous", "refuse requests without an apikey or token"},
	{"tx-overrides", "tx_overrides", "honour Prefer: tx=commit|rollback"},
	{"plan", "plan", "serve execution plans (Accept: application/vnd.pgrst.plan)"},
}

func projectConfigCmd() *cobra.Command {
	var reset []string
	c := &cobra.Command{
		Use:   "config REF",
		Short: "Show or change a project's REST settings (overrides of the [rest] section)",
		Long: "Without flags, show the project's REST settings. Each flag sets the project's own value;\n" +
			"--reset NAME (repeatable) returns a setting to the platform default. Changes apply at once.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch := map[string]any{}
			for _, f := range restSettingFlags {
				if !cmd.Flags().Changed(f.flag) {
					continue
				}
				fl := cmd.Flags().Lookup(f.flag)
				switch fl.Value.Type() {
				case "stringSlice":
					v, _ := cmd.Flags().GetStringSlice(f.flag)
					patch[f.key] = nonNil(v)
				case "int64":
					v, _ := cmd.Flags().GetInt64(f.flag)
					patch[f.key] = v
				case "bool":
					v, _ := cmd.Flags().GetBool(f.flag)
					patch[f.key] = v
				}
			}
			for _, k := range reset {
				k = strings.ReplaceAll(k, "-", "_")
				if _, ok := patch[k]; ok {
					return fmt.Errorf("%s is both set and reset", k)
				}
				patch[k] = nil
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			path := "/admin/v1/projects/" + url.PathEscape(args[0]) + "/rest"
			var pc rest.ProjectConfig
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
			return printRESTConfig(cmd, pc)
		},
	}
	c.Flags().StringSlice("schemas", nil, restSettingFlags[0].usage)
	c.Flags().StringSlice("extra-search-path", nil, restSettingFlags[1].usage)
	c.Flags().Int64("max-rows", 0, restSettingFlags[2].usage)
	for _, f := range restSettingFlags[3:] {
		c.Flags().Bool(f.flag, false, f.usage)
	}
	c.Flags().StringSliceVar(&reset, "reset", nil, "setting to return to the platform default (e.g. max_rows)")
	return c
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func printRESTConfig(cmd *cobra.Command, pc rest.ProjectConfig) error {
	keys := make([]string, len(restSettingFlags))
	for i, f := range restSettingFlags {
		keys[i] = f.key
	}
	return printSettings(cmd, "REST settings of "+pc.Ref, pc.Overrides, pc.Effective, keys)
}
