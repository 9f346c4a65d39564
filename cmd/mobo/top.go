package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/metrics"
)

func newTopCmd() *cobra.Command {
	var every time.Duration
	var once bool
	var rows int
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Show the running server's traffic per API and project, its connections and components, refreshed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			t, err := findServer(cmd, out)
			if err != nil {
				return err
			}
			return runTop(cmd.Context(), t, out, max(every, 100*time.Millisecond), once, rows)
		},
	}
	cmd.Flags().DurationVar(&every, "interval", 2*time.Second, "time between refreshes (and between the two scrapes of --once)")
	cmd.Flags().BoolVar(&once, "once", false, "print one refresh and exit")
	cmd.Flags().IntVar(&rows, "projects", 20, "projects shown, busiest first")
	return cmd
}

// runTop scrapes the server's metrics every interval and prints what
// changed, until ctx ends (or once).
func runTop(ctx context.Context, t *target, out io.Writer, every time.Duration, once bool, rows int) error {
	prev, err := t.scrape(ctx)
	if err != nil {
		return err
	}
	clear := !once && isTerminal(out)
	for last := time.Now(); ; {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
		cur, err := t.scrape(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		if clear {
			_, _ = fmt.Fprint(out, "\033[H\033[2J") // home, clear
		}
		if err := metrics.NewTop(prev, cur, now.Sub(last)).Write(out, rows); err != nil || once {
			return err
		}
		prev, last = cur, now
	}
}

// scrape reads the server's metrics with the admin key.
func (t *target) scrape(ctx context.Context) (metrics.Families, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"/admin/v1/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the server at %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s for its metrics", resp.Status)
	}
	return metrics.Parse(resp.Body)
}
