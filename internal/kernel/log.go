package kernel

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"
)

// LogConfig selects the log format and level.
type LogConfig struct {
	// Format is "auto" (text on a terminal, JSON otherwise), "text" or "json". Default "auto".
	Format string `toml:"format"`
	// Level is "debug", "info", "warn" or "error". Default "info".
	Level string `toml:"level"`
}

// Validate reports an unknown format or level.
func (c LogConfig) Validate() error {
	switch c.Format {
	case "", "auto", "text", "json":
	default:
		return fmt.Errorf("log.format %q: want auto, text or json", c.Format)
	}
	if _, err := parseLevel(c.Level); err != nil {
		return err
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log.level %q: want debug, info, warn or error", s)
}

// NewLogger returns a logger writing to w in the configured format. With
// format "auto", w gets text when it is a terminal and JSON otherwise.
func NewLogger(w io.Writer, c LogConfig) *slog.Logger {
	level, err := parseLevel(c.Level)
	if err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.Format
	if format == "" || format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// ComponentLogger returns the logger a component should use: base with component=name.
func ComponentLogger(base *slog.Logger, name string) *slog.Logger {
	return base.With("component", name)
}
