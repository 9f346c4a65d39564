package pg

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
)

// outputTail is how many of the server's last output lines are kept for
// error messages.
const outputTail = 30

// maxLineLen bounds a logged line; the rest of a longer line is dropped
// (a long statement in a log line, say).
const maxLineLen = 8 << 10

// serverOutput turns the server's stderr into slog records and keeps the
// last lines for error messages.
type serverOutput struct {
	log *slog.Logger

	mu   sync.Mutex
	tail []string // ring buffer of the last outputTail lines
	next int
	// level of the last primary message, for its DETAIL/HINT lines.
	level slog.Level
	// reinit is called when the server has ended every session to
	// recover from a crash (reinitMessage).
	reinit func()
}

func newServerOutput(log *slog.Logger, reinit func()) *serverOutput {
	return &serverOutput{log: log, reinit: reinit}
}

// reinitMessage is the postmaster's log line when it has ended every
// session after a backend crashed, and recovers.
const reinitMessage = "all server processes terminated; reinitializing"

// consume reads r to EOF. It keeps reading whatever happens: a server whose
// stderr pipe fills up would block.
func (o *serverOutput) consume(r io.Reader) {
	br := bufio.NewReaderSize(r, 4096)
	var line []byte
	for {
		frag, isPrefix, err := br.ReadLine()
		if len(line) < maxLineLen {
			line = append(line, frag[:min(len(frag), maxLineLen-len(line))]...)
		}
		if err != nil {
			if len(line) > 0 {
				o.line(string(line))
			}
			if !errors.Is(err, io.EOF) {
				o.log.Warn("reading postgres output", "error", err)
				_, _ = io.Copy(io.Discard, r)
			}
			return
		}
		if !isPrefix {
			o.line(string(line))
			line = line[:0]
		}
	}
}

// logLineRe matches a server log line: an optional prefix ending in
// "[pid] " (ours is "[%p] "; the default before the configuration is read
// starts with a timestamp), then the severity.
var logLineRe = regexp.MustCompile(`^(?:.*?\[(\d+)\]\s+)?(DEBUG[1-5]|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):\s+(.*)$`)

// quietMessages are FATAL messages that are routine: a session ended by a
// shutdown or by DROP DATABASE … WITH (FORCE), a connection tried too early
// or too late.
var quietMessages = map[string]bool{
	"terminating connection due to administrator command": true,
	"the database system is starting up":                  true,
	"the database system is shutting down":                true,
}

func (o *serverOutput) line(s string) {
	o.mu.Lock()
	if len(o.tail) < outputTail {
		o.tail = append(o.tail, s)
	} else {
		o.tail[o.next] = s
		o.next = (o.next + 1) % outputTail
	}
	level, msg := o.level, s
	attrs := make([]slog.Attr, 0, 2)
	if m := logLineRe.FindStringSubmatch(s); m != nil {
		msg = m[3]
		attrs = append(attrs, slog.String("pg_level", m[2]))
		if m[1] != "" {
			if pid, err := strconv.Atoi(m[1]); err == nil {
				attrs = append(attrs, slog.Int("pid", pid))
			}
		}
		switch m[2] {
		case "DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION":
			// belongs to the previous message
		case "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
			level = slog.LevelDebug
		case "LOG", "INFO", "NOTICE":
			level = slog.LevelInfo
		case "WARNING", "ERROR", "FATAL":
			// ERROR and FATAL concern one session (a bad query, a failed
			// login), not the server.
			level = slog.LevelWarn
		case "PANIC":
			level = slog.LevelError
		}
		if quietMessages[msg] {
			level = slog.LevelInfo
		}
		o.level = level
	}
	o.mu.Unlock()
	if msg == reinitMessage && o.reinit != nil {
		o.reinit()
	}
	o.log.LogAttrs(context.Background(), level, msg, attrs...)
}

// lines returns the last lines of output, oldest first.
func (o *serverOutput) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.tail))
	out = append(out, o.tail[o.next:]...)
	return append(out, o.tail[:o.next]...)
}
