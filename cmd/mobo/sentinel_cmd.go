package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/sentinel"
)

const sentinelAPI = "/admin/v1/sentinel/"

// newSentinelCmd drives the sentinel through the running server's admin API.
func newSentinelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sentinel",
		Short: "Security incidents, blocks, allow-list and agent modes",
	}
	cmd.AddCommand(sentinelIncidentsCmd(), sentinelShowCmd(), sentinelBlocksCmd(), sentinelBlockCmd(),
		sentinelUnblockCmd(), sentinelAllowCmd(), sentinelDisallowCmd(), sentinelModeCmd(), sentinelClassifyCmd())
	return cmd
}

// sentinelCall sends one admin API request about the sentinel.
func sentinelCall(cmd *cobra.Command, method, path string, body, out any) error {
	t, err := findServer(cmd, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	return t.do(cmd.Context(), method, sentinelAPI+path, body, out)
}

func sentinelIncidentsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "incidents",
		Short: "List incidents, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for _, f := range []string{"status", "project"} {
				if v, _ := cmd.Flags().GetString(f); v != "" {
					q.Set(f, v)
				}
			}
			if n, _ := cmd.Flags().GetInt("limit"); n > 0 {
				q.Set("limit", fmt.Sprint(n))
			}
			var list []sentinel.Incident
			if err := sentinelCall(cmd, http.MethodGet, "incidents?"+q.Encode(), nil, &list); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), list)
			}
			return incidentsTable(cmd.OutOrStdout(), list)
		},
	}
	c.Flags().String("status", "", "open or closed")
	c.Flags().String("project", "", "only this project's")
	c.Flags().Int("limit", 50, "at most this many")
	return c
}

func incidentsTable(w io.Writer, list []sentinel.Incident) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOPENED\tSTATUS\tSCENARIO\tACTOR\tFINDINGS\tRESPONSE")
	for _, i := range list {
		resp := strings.Join(i.Actions, ",")
		switch {
		case i.Shadow:
			resp = "shadow (would " + resp + ")"
		case i.Allowed:
			resp = "allow-listed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%d\t%s\n", i.ID, i.Opened.Local().Format(time.DateTime), i.Status,
			i.Scenario, i.Scope, i.Subject, i.Findings, resp)
	}
	return tw.Flush()
}

func sentinelShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident and its timeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Incident sentinel.Incident `json:"incident"`
				Timeline []sentinel.Record `json:"timeline"`
			}
			if err := sentinelCall(cmd, http.MethodGet, "incidents/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, out)
			}
			if err := incidentsTable(w, []sentinel.Incident{out.Incident}); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nlabels %s, project %s, last finding %s\n\n", strings.Join(out.Incident.Labels, ","),
				out.Incident.Project, out.Incident.Last.Local().Format(time.DateTime))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tAGENT\tLABEL\tREASON\tREQUEST\tSTATUS\tVALUE")
			for _, r := range out.Timeline {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%d\t%q\n", r.At.Local().Format("15:04:05.000"), r.Agent, r.Label,
					r.Reason, r.Method, r.Route, r.Status, r.Excerpt)
			}
			return tw.Flush()
		},
	}
}

func sentinelBlocksCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "blocks",
		Short: "List the blocks in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []sentinel.Block
			if err := sentinelCall(cmd, http.MethodGet, "blocks", nil, &list); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, list)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tSUBJECT\tUNTIL\tREASON\tOFFENCES\tINCIDENT")
			for _, b := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", b.Scope, b.Subject, b.Until.Local().Format(time.DateTime), b.Reason, b.Offences, b.Incident)
			}
			return tw.Flush()
		},
	}
}

// subjectArg names an actor as blocks do: projects' keys, users,
// sessions and accounts as <ref>/<id>.
func subjectArg(cmd *cobra.Command, scope, subject string) string {
	if slices.Contains([]string{sentinel.ScopeKey, sentinel.ScopeUser, sentinel.ScopeSession, sentinel.ScopeAccount}, scope) && !strings.Contains(subject, "/") {
		ref, _ := cmd.Flags().GetString("project")
		return ref + "/" + subject
	}
	return subject
}

func sentinelBlockCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "block SCOPE SUBJECT",
		Short: "Block an actor: ip ADDR, net CIDR, or key|user|session|account ID (of --project)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, _ := cmd.Flags().GetDuration("for")
			reason, _ := cmd.Flags().GetString("reason")
			body := map[string]string{"scope": args[0], "subject": subjectArg(cmd, args[0], args[1]), "duration": d.String(), "reason": reason}
			var b sentinel.Block
			if err := sentinelCall(cmd, http.MethodPost, "blocks", body, &b); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), b)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s blocked until %s\n", b.Scope, b.Subject, b.Until.Local().Format(time.DateTime))
			return err
		},
	}
	c.Flags().Duration("for", time.Hour, "how long")
	c.Flags().String("reason", "manual", "recorded with the block")
	c.Flags().String("project", "default", "project ref, for keys, users, sessions and accounts")
	return c
}

func sentinelUnblockCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "unblock SCOPE SUBJECT",
		Short: "Lift a block at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"scope": {args[0]}, "subject": {subjectArg(cmd, args[0], args[1])}}
			if err := sentinelCall(cmd, http.MethodDelete, "blocks?"+q.Encode(), nil, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s unblocked\n", args[0], q.Get("subject"))
			return err
		},
	}
	c.Flags().String("project", "default", "project ref, for keys, users, sessions and accounts")
	return c
}

func sentinelAllowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "allow [SCOPE SUBJECT]",
		Short: "Allow-list an actor (ip ADDR|CIDR, key ID, user ID, route NAME); without arguments, list the allow-list",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				var list []sentinel.AllowEntry
				if err := sentinelCall(cmd, http.MethodGet, "allow", nil, &list); err != nil {
					return err
				}
				if jsonFlag(cmd) {
					return printJSON(cmd.OutOrStdout(), list)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SCOPE\tSUBJECT\tNOTE")
				for _, a := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Scope, a.Subject, a.Note)
				}
				return tw.Flush()
			}
			if len(args) != 2 {
				return errors.New("give a scope and a subject (ip 10.0.0.0/8, key ID, user ID, route rest:public.notes)")
			}
			note, _ := cmd.Flags().GetString("note")
			body := map[string]string{"scope": args[0], "subject": args[1], "note": note}
			if err := sentinelCall(cmd, http.MethodPost, "allow", body, nil); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s allow-listed\n", args[0], args[1])
			return err
		},
	}
	c.Flags().String("note", "", "why")
	return c
}

func sentinelDisallowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "disallow SCOPE SUBJECT",
		Short: "Remove an allow-list entry",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"scope": {args[0]}, "subject": {args[1]}}
			return sentinelCall(cmd, http.MethodDelete, "allow?"+q.Encode(), nil, nil)
		},
	}
}

func sentinelModeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "mode [AGENT MODE]",
		Short: "Show the modes, or set an agent's (or \"sentinel\"'s) to enforce, shadow or off",
		Args: cobra.MatchAll(cobra.MaximumNArgs(2), func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				return errors.New("give an agent and a mode")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			var modes map[string]string
			var err error
			if len(args) == 2 {
				err = sentinelCall(cmd, http.MethodPut, "modes", map[string]string{args[0]: args[1]}, &modes)
			} else {
				err = sentinelCall(cmd, http.MethodGet, "modes", nil, &modes)
			}
			if err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), modes)
			}
			names := make([]string, 0, len(modes))
			for n := range modes {
				names = append(names, n)
			}
			slices.Sort(names)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AGENT\tMODE")
			for _, n := range names {
				fmt.Fprintf(tw, "%s\t%s\n", n, modes[n])
			}
			return tw.Flush()
		},
	}
}

// sentinelClassifyCmd labels values read from stdin with the value agents,
// offline: one value per line, or with --jsonl one JSON string (or
// {"value": …} object) per line, for values holding newlines.
func sentinelClassifyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "classify",
		Short: "Label values from stdin (sqli, xss, traversal or benign) with the sentinel's value agents, offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			jsonl, _ := cmd.Flags().GetBool("jsonl")
			c, err := sentinel.NewClassifier(cfg.Sentinel)
			if err != nil {
				return err
			}
			return classifyLines(cmd.InOrStdin(), cmd.OutOrStdout(), c, jsonl, jsonFlag(cmd))
		},
	}
	c.Flags().Bool("jsonl", false, "read one JSON string or {\"value\": …} object per line")
	return c
}

// classifyLines reads values from in and writes one answer per value: the
// label, agent and reason separated by tabs, or a JSON object per line.
func classifyLines(in io.Reader, out io.Writer, c *sentinel.Classifier, jsonl, asJSON bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		v := sc.Text()
		if jsonl {
			var err error
			if v, err = decodeValueLine(sc.Bytes()); err != nil {
				return err
			}
		}
		label, f := c.Classify(v)
		if asJSON {
			if err := enc.Encode(map[string]any{"value": v, "label": label, "agent": f.Agent, "reason": f.Reason, "score": f.Score}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", label, f.Agent, f.Reason)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}

func decodeValueLine(b []byte) (string, error) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s, nil
	}
	var o struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return "", fmt.Errorf("a --jsonl line is neither a JSON string nor {\"value\": …}: %w", err)
	}
	return o.Value, nil
}
