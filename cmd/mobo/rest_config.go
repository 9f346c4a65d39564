package main

import "github.com/spf13/cobra"

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
