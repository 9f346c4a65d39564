// Command bootbench measures how long `mobo serve` takes to become ready, cold
// (a new data dir: initdb, migrations, default project) and warm (the same data
// dir again), against a baseline in the same run: the managed PostgreSQL
// cluster alone (internal/pg, no kernel, no control plane), cold and warm.
// The ratio is what mobo adds on top of starting PostgreSQL.
//
//	go run ./cmd/bootbench -bin bin/mobo -runs 3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/magflock/mobo/internal/pg"
)

func main() {
	bin := flag.String("bin", "bin/mobo", "the mobo binary")
	runs := flag.Int("runs", 3, "runs of each measurement (the median is reported)")
	flag.Parse()
	if err := run(*bin, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bootbench:", err)
		os.Exit(1)
	}
}

func run(bin string, runs int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	var cold, warm, pgCold, pgWarm []time.Duration
	for i := range runs {
		dir, err := os.MkdirTemp("", "bootbench")
		if err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // postgres's OS user must reach it
			return err
		}
		c, w, err := measureMobo(bin, dir)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		pc, pw, err := measureCluster(filepath.Join(dir, "baseline", "pg"))
		if err != nil {
			return fmt.Errorf("run %d baseline: %w", i, err)
		}
		_ = os.RemoveAll(dir)
		cold, warm, pgCold, pgWarm = append(cold, c), append(warm, w), append(pgCold, pc), append(pgWarm, pw)
		fmt.Printf("run %d: mobo cold %v warm %v | postgres alone cold %v warm %v\n", i+1, c, w, pc, pw)
	}
	mc, mw, bc, bw := median(cold), median(warm), median(pgCold), median(pgWarm)
	fmt.Printf("\nmedian of %d runs\n", runs)
	fmt.Printf("  cold start (initdb): mobo %8v   postgres alone %8v   ratio %.2f\n", mc, bc, float64(mc)/float64(bc))
	fmt.Printf("  warm start:          mobo %8v   postgres alone %8v   ratio %.2f\n", mw, bw, float64(mw)/float64(bw))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// measureMobo starts mobo twice on dataDir and returns the time to /readyz.
func measureMobo(bin, dataDir string) (cold, warm time.Duration, err error) {
	if cold, err = bootOnce(bin, dataDir); err != nil {
		return 0, 0, err
	}
	warm, err = bootOnce(bin, dataDir)
	return cold, warm, err
}

func bootOnce(bin, dataDir string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http", addr, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz") //nolint:noctx // a loopback address we chose
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, errors.New("mobo did not become ready within 2 minutes")
}

// measureCluster starts and stops the managed cluster alone, cold then warm.
func measureCluster(dataDir string) (cold, warm time.Duration, err error) {
	log := slog.New(slog.DiscardHandler)
	for i := range 2 {
		ctx := context.Background()
		c := pg.NewCluster(pg.Config{DataDir: dataDir}, log)
		start := time.Now()
		if err := c.Start(ctx); err != nil {
			return 0, 0, err
		}
		d := time.Since(start)
		if err := c.Stop(ctx); err != nil {
			return 0, 0, err
		}
		if i == 0 {
			cold = d
		} else {
			warm = d
		}
	}
	return cold, warm, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
