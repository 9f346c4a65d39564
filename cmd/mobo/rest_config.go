package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

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

// restSettingFlags are the CLI flags of `project config`.
var restSettingFlags = []settingFlag{
	{"schemas", "schemas", "list", "exposed schemas, comma-separated; the first is the default"},
	{"extra-search-path", "extra_search_path", "list", "schemas appended to each request's search path, comma-separated"},
	{"max-rows", "max_rows", "int", "most rows a read returns (0: no cap)"},
	{"aggregates", "aggregates", "bool", "allow aggregate functions in select"},
	{"disable-anonymous", "disable_anonymous", "bool", "refuse requests without an apikey or token"},
	{"tx-overrides", "tx_overrides", "bool", "honour Prefer: tx=commit|rollback"},
	{"plan", "plan", "bool", "serve execution plans (Accept: application/vnd.pgrst.plan)"},
}

func projectConfigCmd() *cobra.Command {
	return settingsCmd("config", "REST settings", "rest", "Changes apply at once.", "rest", restSettingFlags)
}
