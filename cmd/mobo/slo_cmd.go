package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/slo"
)

const sloAPI = "/admin/v1/slo/"

// newSLOCmd shows objectives and alerts, and silences and acknowledges
// alerts, through the running server's admin API.
func newSLOCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slo",
		Short: "Service-level objectives: error budgets, burn-rate alerts, silences, acknowledgements",
	}
	cmd.AddCommand(sloStatusCmd(), sloAlertsCmd(), sloHistoryCmd(), sloSilenceCmd(), sloAckCmd())
	return cmd
}

func sloCall(cmd *cobra.Command, method, path string, body, out any) error {
	t, err := findServer(cmd, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	return t.do(cmd.Context(), method, sloAPI+path, body, out)
}

func sloStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Each objective: its SLI and error budget over its window, its burn rates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []slo.ObjectiveStatus
			if err := sloCall(cmd, http.MethodGet, "objectives", nil, &list); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, list)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "OBJECTIVE\tAPI\tPROJECT\tKIND\tTARGET\tWINDOW\tSLI\tREQUESTS\tBUDGET LEFT\tEXHAUSTS IN\tBURN RATES")
			for _, o := range list {
				kind := o.Kind
				if o.Threshold != "" {
					kind += " < " + o.Threshold
				}
				var burns []string
				for _, b := range o.BurnRates {
					burns = append(burns, fmt.Sprintf("%s %.2g", b.Window, b.BurnRate))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s (%s)\t%s\t%.0f\t%s\t%s\t%s\n", o.Name, o.API, o.Project, kind,
					percent(o.Target), o.Window, o.Covered, percent(o.SLI), o.Counts.Total, percent(o.BudgetRemaining),
					cmp.Or(o.ExhaustsIn, "-"), strings.Join(burns, ", "))
			}
			return tw.Flush()
		},
	}
}

// percent writes a share as a percentage with up to six significant
// digits: 0.999 is "99.9%".
func percent(f float64) string { return strconv.FormatFloat(f*100, 'g', 6, 64) + "%" }

func sloAlertsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "alerts",
		Short: "The pending and firing alerts (--all: every objective's at every severity)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, _ := cmd.Flags().GetBool("all")
			var list []slo.Alert
			if err := sloCall(cmd, http.MethodGet, "alerts?all="+strconv.FormatBool(all), nil, &list); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, list)
			}
			return alertsTable(w, list)
		},
	}
	c.Flags().Bool("all", false, "inactive alerts too")
	return c
}

func alertsTable(w io.Writer, list []slo.Alert) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSINCE\tACK\tSILENCED\tESCALATED\tREASON")
	for _, a := range list {
		since := "-"
		if !a.ActiveSince.IsZero() {
			since = a.ActiveSince.Local().Format(time.DateTime)
		}
		ack := "-"
		if a.Ack != nil {
			ack = a.Ack.By
		}
		esc := "-"
		if !a.EscalatedAt.IsZero() {
			esc = a.EscalatedAt.Local().Format(time.TimeOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, since, ack, cmp.Or(strings.Join(a.SilencedBy, ","), "-"), esc, a.Reason)
	}
	return tw.Flush()
}

func sloHistoryCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "history [ALERT]",
		Short: "The alert history, newest first: transitions, notifications, acknowledgements, escalations, silences",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if len(args) == 1 {
				q.Set("alert", args[0])
			}
			if n, _ := cmd.Flags().GetInt("limit"); n > 0 {
				q.Set("limit", strconv.Itoa(n))
			}
			var list []slo.Entry
			if err := sloCall(cmd, http.MethodGet, "history?"+q.Encode(), nil, &list); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(w, list)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tALERT\tKIND\tFROM\tTO\tRECEIVER")
			for _, e := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format(time.DateTime), cmp.Or(e.Alert, "-"), e.Kind,
					cmp.Or(e.From, "-"), cmp.Or(e.To, "-"), cmp.Or(e.Receiver, "-"))
			}
			return tw.Flush()
		},
	}
	c.Flags().Int("limit", 50, "at most this many")
	return c
}

func sloSilenceCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "silence",
		Short: "Silence alerts (--objective, --api, --project, --severity; --for 2h --comment WHY), --list the silences, or --expire ID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if id, _ := cmd.Flags().GetString("expire"); id != "" {
				if err := sloCall(cmd, http.MethodDelete, "silences/"+url.PathEscape(id), nil, nil); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "silence %s expired\n", id)
				return err
			}
			if list, _ := cmd.Flags().GetBool("list"); list {
				var out []slo.Silence
				if err := sloCall(cmd, http.MethodGet, "silences", nil, &out); err != nil {
					return err
				}
				if jsonFlag(cmd) {
					return printJSON(w, out)
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tMATCHES\tFROM\tUNTIL\tBY\tCOMMENT")
				for _, s := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, matchers(s), s.StartsAt.Local().Format(time.DateTime),
						s.EndsAt.Local().Format(time.DateTime), s.CreatedBy, s.Comment)
				}
				return tw.Flush()
			}
			body := map[string]string{}
			for _, f := range []string{"objective", "api", "project", "severity", "comment"} {
				if v, _ := cmd.Flags().GetString(f); v != "" {
					body[f] = v
				}
			}
			if body["comment"] == "" {
				return errors.New("say why with --comment")
			}
			d, _ := cmd.Flags().GetDuration("for")
			body["duration"] = d.String()
			by, _ := cmd.Flags().GetString("by")
			body["created_by"] = cmp.Or(by, os.Getenv("USER"), "cli")
			var s slo.Silence
			if err := sloCall(cmd, http.MethodPost, "silences", body, &s); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(w, s)
			}
			_, err := fmt.Fprintf(w, "silence %s (%s) until %s\n", s.ID, matchers(s), s.EndsAt.Local().Format(time.DateTime))
			return err
		},
	}
	f := c.Flags()
	f.String("objective", "", "the objective's alerts")
	f.String("api", "", "the alerts of objectives of this API")
	f.String("project", "", "the alerts of objectives of this project")
	f.String("severity", "", "the alerts of this severity (page, ticket)")
	f.Duration("for", 2*time.Hour, "how long")
	f.String("comment", "", "why (required)")
	f.String("by", "", "who (default $USER)")
	f.Bool("list", false, "list the silences in force or to come")
	f.String("expire", "", "end silence ID now")
	return c
}

func matchers(s slo.Silence) string {
	var m []string
	for _, kv := range [][2]string{{"objective", s.Objective}, {"api", s.API}, {"project", s.Project}, {"severity", s.Severity}} {
		if kv[1] != "" {
			m = append(m, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(m, ",")
}

func sloAckCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ack ALERT",
		Short: "Acknowledge a firing alert (\"rest-availability:page\"): no escalation, no reminders until it resolves",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			by, _ := cmd.Flags().GetString("by")
			comment, _ := cmd.Flags().GetString("comment")
			body := map[string]string{"by": cmp.Or(by, os.Getenv("USER"), "cli"), "comment": comment}
			var a slo.Alert
			if err := sloCall(cmd, http.MethodPost, "alerts/"+url.PathEscape(args[0])+"/ack", body, &a); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), a)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s acknowledged by %s\n", a.ID, a.Ack.By)
			return err
		},
	}
	c.Flags().String("by", "", "who (default $USER)")
	c.Flags().String("comment", "", "what is being done")
	return c
}
