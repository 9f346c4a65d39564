package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/kernel"
)

// target is a running server the CLI talks to.
type target struct {
	url, key string
	info     *serverInfo // from the data dir, when found there
}

var errNoServer = &exitError{code: 3, msg: ""}

// findServer locates a running server: --url/MOBO_URL with MOBO_ADMIN_KEY, or
// the server.json that `mobo serve` keeps in the data dir.
func findServer(cmd *cobra.Command, out io.Writer) (*target, error) {
	if u := os.Getenv("MOBO_URL"); u != "" {
		return &target{url: strings.TrimRight(u, "/"), key: os.Getenv("MOBO_ADMIN_KEY")}, nil
	}
	cfg, _, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	info, err := readServerInfo(cfg.DataDir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !processAlive(info.PID)) {
		if offline(cmd) {
			return startLocal(cmd, cfg)
		}
		fmt.Fprintf(out, "no mobo server is running (data dir %s)\n", absPath(cfg.DataDir))
		return nil, errNoServer
	}
	if err != nil {
		return nil, fmt.Errorf("reading server info: %w", err)
	}
	return &target{url: info.URL, key: info.AdminKey, info: &info}, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (t *target) get(ctx context.Context, path string, v any) error {
	return t.do(ctx, http.MethodGet, path, nil, v)
}

// do sends an admin API request with an optional JSON body and decodes the
// JSON answer into v (when v is not nil).
func (t *target) do(ctx context.Context, method, path string, body, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a delete dumps the database first
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+t.key)
	return doJSON(ctx, method, t.url+path, h, body, v)
}

// doJSON sends a request with an optional JSON body and decodes a JSON answer
// into v. An error answer becomes an error carrying the server's message
// (the admin API's "message", Supabase Auth's "msg").
func doJSON(ctx context.Context, method, u string, header http.Header, body, v any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	maps.Copy(req.Header, header)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("asking the server at %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var e struct {
			Message string `json:"message"`
			Msg     string `json:"msg"`
		}
		if json.Unmarshal(b, &e) == nil && cmp.Or(e.Message, e.Msg) != "" {
			return errors.New(cmp.Or(e.Message, e.Msg))
		}
		return fmt.Errorf("server at %s answered %s: %s", req.URL.Host, resp.Status, strings.TrimSpace(string(b)))
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func jsonFlag(cmd *cobra.Command) bool {
	j, _ := cmd.Flags().GetBool("json")
	return j
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Say whether a server runs, in which mode, and whether it is ready",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			t, err := findServer(cmd, out)
			if err != nil {
				return err
			}
			var st admin.Status
			if err := t.get(cmd.Context(), "/admin/v1/status", &st); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(out, st)
			}
			ready := "ready"
			if !st.Ready {
				ready = "not ready (failing: " + strings.Join(st.Failing, ", ") + ")"
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "server\t%s\n", t.url)
			fmt.Fprintf(tw, "state\t%s\n", ready)
			fmt.Fprintf(tw, "mode\t%s PostgreSQL\n", st.Mode)
			fmt.Fprintf(tw, "database\t%s\n", st.Database)
			fmt.Fprintf(tw, "version\t%s\n", st.Version)
			fmt.Fprintf(tw, "up since\t%s (%s)\n", st.StartedAt.Local().Format(time.DateTime), time.Since(st.StartedAt).Round(time.Second))
			return tw.Flush()
		},
	}
}

func newComponentsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "components",
		Short: "List the running server's components: state, health, uptime, restarts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			t, err := findServer(cmd, out)
			if err != nil {
				return err
			}
			var comps []kernel.ComponentStatus
			if err := t.get(cmd.Context(), "/admin/v1/components", &comps); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(out, comps)
			}
			return componentsTable(out, comps, time.Now())
		},
	}
}

func componentsTable(w io.Writer, comps []kernel.ComponentStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tSTATE\tHEALTH\tUPTIME\tRESTARTS\tREQUIRES\tLAST ERROR")
	for _, c := range comps {
		health, uptime := "unhealthy", "-"
		if c.Healthy {
			health = "healthy"
		}
		if !c.StartedAt.IsZero() && c.State == kernel.StateRunning {
			uptime = now.Sub(c.StartedAt).Round(time.Second).String()
		}
		req := strings.Join(c.Requires, ",")
		if req == "" {
			req = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.Name, c.State, health, uptime, c.Restarts, req, c.LastError)
	}
	return tw.Flush()
}

func newConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets redacted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, res, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			m := kernel.Redact(&cfg)
			if jsonFlag(cmd) {
				return printJSON(out, m)
			}
			if res.File != "" {
				fmt.Fprintf(out, "# from %s, the environment and flags\n", res.File)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(out, "# warning: %s\n", w)
			}
			b, err := toml.Marshal(m)
			if err != nil {
				return err
			}
			_, err = out.Write(b)
			return err
		},
	}
}

// Commands that manage data (projects, migrations, keys) work without a
// running server: they boot the platform in-process on the data dir, on a
// loopback port of its own, do their work through the same admin API, and
// stop it. The cluster's data-dir lock keeps a server from starting on the
// same data meanwhile.

// offlineAnnotation marks a command that may boot a local platform.
const offlineAnnotation = "mobo.offline"

func allowOffline(cmds ...*cobra.Command) {
	for _, c := range cmds {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[offlineAnnotation] = "true"
		allowOffline(c.Commands()...)
	}
}

func offline(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[offlineAnnotation] == "true" {
			return true
		}
	}
	return false
}

type localKey struct{}

// localPlatform holds a platform booted for one command.
type localPlatform struct {
	stopFn func()
}

func (l *localPlatform) stop() {
	if l.stopFn != nil {
		l.stopFn()
		l.stopFn = nil
	}
}

func startLocal(cmd *cobra.Command, cfg Config) (*target, error) {
	holder, _ := cmd.Context().Value(localKey{}).(*localPlatform)
	if holder == nil {
		return nil, errors.New("no server is running")
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("no mobo server is running and there is no data dir at %s: run mobo serve first", absPath(cfg.DataDir))
	}
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.PGWire.Listen = ""
	log := kernel.NewLogger(cmd.ErrOrStderr(), kernel.LogConfig{Format: "text", Level: "warn"})
	p, err := assemble(cfg, log)
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	if err := p.kernel.Start(ctx); err != nil {
		return nil, explainStartError(err)
	}
	holder.stopFn = func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer cancel()
		_ = p.kernel.Stop(sctx) // failures are logged by the kernel
		p.flushSpans(ctx, log)
	}
	return &target{url: p.gateway.URL(), key: p.admin.Key()}, nil
}
