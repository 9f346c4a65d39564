// Command pgtestserver runs a throwaway PostgreSQL server for a test run.
//
//	pgtestserver -dir DIR [-port N]
//
// It starts a managed cluster with its files in DIR (see pgtest.ServerConfig),
// prints MOBO_TEST_DATABASE_URL=<superuser URL> on stdout, writes the URL to
// DIR/url and its own pid to DIR/pid, and runs until SIGINT or SIGTERM, when
// it stops PostgreSQL cleanly and removes DIR/url and DIR/pid. DIR/url
// appears only once the server accepts connections, so a script can wait
// for it.
//
// Signal this process itself, not a "go run" wrapping it: go run does not
// pass SIGTERM on. Build it first, for example:
//
//	go build -o bin/pgtestserver ./internal/pg/pgtest/cmd/pgtestserver
//	bin/pgtestserver -dir .test/pg &
//	until [ -f .test/pg/url ]; do sleep 0.1; done
//	MOBO_TEST_DATABASE_URL=$(cat .test/pg/url) go test ./...
//	kill $(cat .test/pg/pid)
//
// The directory is kept, so the next run starts without initdb.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/magflock/mobo/internal/pg"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtestserver:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "directory for the cluster's files (required)")
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: automatic)")
	verbose := flag.Bool("v", false, "log PostgreSQL's output")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil { //nolint:gosec // under root, the postgres user must traverse it
		return err
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg := pgtest.ServerConfig(abs)
	cfg.Port = *port
	c := pg.NewCluster(cfg, log.With("component", "postgres"))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = c.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}

	urlFile, pidFile := filepath.Join(abs, "url"), filepath.Join(abs, "pid")
	url := c.TCPConnString("postgres")
	err = errors.Join(
		writeFile(pidFile, strconv.Itoa(os.Getpid())+"\n"),
		writeFile(urlFile, url+"\n"),
	)
	if err == nil {
		fmt.Printf("%s=%s\n", pgtest.EnvURL, url)
		<-ctx.Done()
	}

	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(err, c.Stop(stopCtx), rm(urlFile), rm(pidFile))
}

// writeFile writes atomically, so that a script polling for the file never
// reads half of it. The URL holds the password: mode 0600.
func writeFile(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func rm(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
