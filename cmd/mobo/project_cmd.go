package main

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/magflock/mobo/internal/admin"
)

func newProjectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Manage projects (a database each) on the running server",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List projects",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				t, err := findServer(cmd, cmd.OutOrStdout())
				if err != nil {
					return err
				}
				var list []admin.Project
				if err := t.get(cmd.Context(), "/admin/v1/projects", &list); err != nil {
					return err
				}
				if jsonFlag(cmd) {
					return printJSON(cmd.OutOrStdout(), list)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REF\tNAME\tSTATUS\tDATABASE\tAPI URL\tCREATED")
				for _, p := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Ref, p.Name, p.Status, p.Database, p.APIURL, p.CreatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			},
		},
		projectCreateCmd(),
		projectShowCmd("show", "Show a project with its keys", "GET", nil),
		projectShowCmd("pause", "Pause a project: its database refuses connections, data kept", "PATCH", map[string]string{"status": "paused"}),
		projectShowCmd("resume", "Resume a paused project", "PATCH", map[string]string{"status": "active"}),
		projectDeleteCmd(),
		projectLimitsCmd(),
		projectConfigCmd(),
		projectUsageCmd(),
		projectRotateKeysCmd(),
		projectAuthConfigCmd(),
	)
	allowOffline(cmd)
	return cmd
}

func projectLimitsCmd() *cobra.Command {
	var l admin.Limits
	c := &cobra.Command{
		Use:   "limits REF",
		Short: "Set a project's limits (0 or empty: the platform default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var p admin.Project
			if err := t.do(cmd.Context(), "PATCH", "/admin/v1/projects/"+url.PathEscape(args[0]), map[string]any{"limits": l}, &p); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), p)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "limits of %s: max connections %d, statement timeout %q, size limit %d bytes, request rate %q\n",
				p.Ref, p.Limits.MaxConnections, p.Limits.StatementTimeout, p.Limits.DBSizeLimit, p.Limits.RequestRate)
			return nil
		},
	}
	c.Flags().IntVar(&l.MaxConnections, "max-connections", 0, "cap on the project's API pool")
	c.Flags().StringVar(&l.StatementTimeout, "statement-timeout", "", "statement timeout, e.g. 5s")
	c.Flags().Int64Var(&l.DBSizeLimit, "db-size-limit", 0, "database size in bytes above which writes are refused")
	c.Flags().StringVar(&l.RequestRate, "request-rate", "", "request rate limit, e.g. 100/s")
	return c
}

func projectUsageCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "usage REF",
		Short: "Show a project's database size, rows, connections and requests",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var u admin.Usage
			if err := t.get(cmd.Context(), "/admin/v1/projects/"+url.PathEscape(args[0])+"/usage", &u); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), u)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ref\t%s\nsize\t%d bytes\nrows (estimate)\t%d\nconnections\t%d\nrequests\t%d\n", u.Ref, u.SizeBytes, u.RowsEstimate, u.Connections, u.Requests)
			return tw.Flush()
		},
	}
}

func projectCreateCmd() *cobra.Command {
	var ref, name string
	c := &cobra.Command{
		Use:   "create",
		Short: "Create a project: database, roles, keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if !jsonFlag(cmd) {
				fmt.Fprintln(cmd.ErrOrStderr(), "creating project…")
			}
			var p admin.Project
			if err := t.do(cmd.Context(), "POST", "/admin/v1/projects", map[string]string{"ref": ref, "name": name}, &p); err != nil {
				return err
			}
			return printProject(cmd, p)
		},
	}
	c.Flags().StringVar(&ref, "ref", "", "project ref (default: generated)")
	c.Flags().StringVar(&name, "name", "", "display name (default: the ref)")
	return c
}

func projectShowCmd(use, short, method string, body map[string]string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " REF",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var p admin.Project
			var b any
			if body != nil {
				b = body
			}
			if err := t.do(cmd.Context(), method, "/admin/v1/projects/"+url.PathEscape(args[0]), b, &p); err != nil {
				return err
			}
			return printProject(cmd, p)
		},
	}
}

func printProject(cmd *cobra.Command, p admin.Project) error {
	out := cmd.OutOrStdout()
	if jsonFlag(cmd) {
		return printJSON(out, p)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ref\t%s\nname\t%s\nstatus\t%s\ndatabase\t%s\napi url\t%s\n", p.Ref, p.Name, p.Status, p.Database, p.APIURL)
	if p.AnonKey != "" {
		fmt.Fprintf(tw, "anon key\t%s\nservice_role key\t%s\n", p.AnonKey, p.ServiceKey)
	}
	return tw.Flush()
}

func projectRotateKeysCmd() *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "rotate-keys REF",
		Short: "Give a project a new JWT secret and new anon and service_role keys",
		Long: `Give a project a new JWT secret and, signed with it, new anon and
service_role keys. Every token signed with the old secret stops working: the
old keys at once, and users' access tokens, which their clients renew with
their refresh tokens (sessions are kept). Scoped secret keys (mobo keys) and
RS256/ES256 signing keys are not derived from the secret and stay valid.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			if !yes && !confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("Rotate the keys of project %s? Its clients then need the new anon key.", ref), ref) {
				return &exitError{code: 1, msg: "not rotated: the confirmation did not match"}
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var p admin.Project
			q := url.Values{"confirm": {ref}}
			if err := t.do(cmd.Context(), "POST", "/admin/v1/projects/"+url.PathEscape(ref)+"/keys/rotate?"+q.Encode(), nil, &p); err != nil {
				return err
			}
			return printProject(cmd, p)
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return c
}

func projectDeleteCmd() *cobra.Command {
	var yes, noDump bool
	c := &cobra.Command{
		Use:   "delete REF",
		Short: "Delete a project, keeping a final dump under the data dir unless --no-dump",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			if !yes && !confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf("Delete project %s and its database?", ref), ref) {
				return &exitError{code: 1, msg: "not deleted: the confirmation did not match"}
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			stopProgress := func() {}
			if !noDump && !jsonFlag(cmd) {
				stopProgress = dumpProgress(cmd.ErrOrStderr(), ref, dumpPattern(cmd, ref))
			}
			q := url.Values{"confirm": {ref}}
			if noDump {
				q.Set("dump", "false")
			}
			var res map[string]string
			err = t.do(cmd.Context(), "DELETE", "/admin/v1/projects/"+url.PathEscape(ref)+"?"+q.Encode(), nil, &res)
			stopProgress()
			if err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted project %s\n", ref)
			if res["dump"] != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "final dump: %s\n", res["dump"])
			}
			return nil
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	c.Flags().BoolVar(&noDump, "no-dump", false, "skip the final logical dump")
	return c
}

// dumpPattern globs the final dump files of project ref when the server's
// data dir is on this machine, else "".
func dumpPattern(cmd *cobra.Command, ref string) string {
	if os.Getenv("MOBO_URL") != "" {
		return "" // a server found by URL: its dumps may be elsewhere
	}
	cfg, _, err := loadConfig(cmd)
	if err != nil {
		return ""
	}
	return filepath.Join(cfg.DataDir, "dumps", ref+"-*.sql")
}

// dumpProgress shows the final dump's progress until the returned function
// is called: on a terminal a line rewritten in place with the bytes written
// so far (read off the dump file when it is on this machine) and the time
// taken; elsewhere one line, so that logs stay clean.
func dumpProgress(w io.Writer, ref, pattern string) (stop func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(w, "dumping and deleting project %s…\n", ref)
		return func() {}
	}
	start := time.Now()
	line := func() string {
		s := fmt.Sprintf("final dump of %s: %s", ref, time.Since(start).Round(time.Second))
		if pattern == "" {
			return s
		}
		var newest os.FileInfo
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && !fi.ModTime().Before(start.Add(-time.Second)) && (newest == nil || fi.ModTime().After(newest.ModTime())) {
				newest = fi
			}
		}
		if newest != nil {
			s += ", " + humanBytes(newest.Size()) + " written"
		}
		return s
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(w, "\r\033[K%s", line())
			select {
			case <-done:
				fmt.Fprintf(w, "\r\033[K%s\n", line())
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// humanBytes formats n bytes in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// confirm asks the user to type the ref again.
func confirm(in io.Reader, out io.Writer, question, ref string) bool {
	fmt.Fprintf(out, "%s Type the ref to confirm: ", question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	return strings.TrimSpace(line) == ref
}
