package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// settingFlag is one of an API's per-project settings as a CLI flag; kind
// is "string", "list" (comma-separated), "int" or "bool".
type settingFlag struct{ flag, key, kind, usage string }

// projectSettings is the admin API's answer for one API's settings of a
// project (rest.ProjectConfig, auth.ProjectConfig).
type projectSettings struct {
	Ref       string          `json:"ref"`
	Overrides json.RawMessage `json:"overrides"`
	Effective json.RawMessage `json:"effective"`
}

// settingsCmd is `mobo project <use> REF`: without flags it shows project
// REF's settings of api (/admin/v1/projects/REF/<api>); each flag sets the
// project's own value and --reset NAME returns one to the platform's.
func settingsCmd(use, what, section, applies, api string, flags []settingFlag) *cobra.Command {
	var reset []string
	c := &cobra.Command{
		Use:   use + " REF",
		Short: fmt.Sprintf("Show or change a project's %s (overrides of the [%s] section)", what, section),
		Long: fmt.Sprintf("Without flags, show the project's %s. Each flag sets the project's own value;\n"+
			"--reset NAME (repeatable) returns a setting to the platform's. %s", what, applies),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch := map[string]any{}
			for _, f := range flags {
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
				k, ok := settingKey(flags, name)
				if !ok {
					return fmt.Errorf("--reset %s: no such setting (one of %s)", name, strings.Join(settingKeys(flags), ", "))
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
			path := "/admin/v1/projects/" + url.PathEscape(args[0]) + "/" + api
			var ps projectSettings
			if len(patch) == 0 {
				err = t.get(cmd.Context(), path, &ps)
			} else {
				err = t.do(cmd.Context(), "PATCH", path, patch, &ps)
			}
			if err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), ps)
			}
			return printSettings(cmd, what+" of "+ps.Ref, ps, settingKeys(flags))
		},
	}
	for _, f := range flags {
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
	c.Flags().StringSliceVar(&reset, "reset", nil, "setting to return to the platform's value, by name or flag (repeatable)")
	return c
}

// settingKey maps a setting's key or flag name to its key.
func settingKey(flags []settingFlag, name string) (string, bool) {
	for _, f := range flags {
		if name == f.key || name == f.flag {
			return f.key, true
		}
	}
	return "", false
}

func settingKeys(flags []settingFlag) []string {
	keys := make([]string, len(flags))
	for i, f := range flags {
		keys[i] = f.key
	}
	return keys
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// printSettings shows each setting's effective value and whether the
// project set it.
func printSettings(cmd *cobra.Command, title string, ps projectSettings, keys []string) error {
	var own, values map[string]json.RawMessage
	_ = json.Unmarshal(ps.Overrides, &own)
	if err := json.Unmarshal(ps.Effective, &values); err != nil {
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
