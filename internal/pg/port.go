package pg

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// choosePort returns the port to start on: the configured one if it is free,
// else (port 0) the one recorded in portFile if it is free, else a free one.
func choosePort(configured int, portFile string) (int, error) {
	if configured != 0 {
		if err := portFree(configured); err != nil {
			return 0, &PortInUseError{Port: configured, Err: err}
		}
		return configured, nil
	}
	if b, err := os.ReadFile(portFile); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 && p <= 65535 && portFree(p) == nil {
			return p, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("reading the last port: %w", err)
	}
	return freePort()
}

// portFree checks that port can be bound on 127.0.0.1. Both Go and
// PostgreSQL set SO_REUSEADDR, so a port held by a listener (even on the
// wildcard address) fails here as it would for the server.
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; Start retries with another port then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}
