package realtime

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestCorkConnGathersWrites(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	defer client.Close()
	c := &corkConn{Conn: server, timeout: time.Minute}
	defer c.Close()

	c.cork()
	for _, s := range []string{"one ", "two ", "three"} {
		if n, err := c.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("corked write: %d %v", n, err)
		}
	}
	if got := c.buffered(); got != len("one two three") {
		t.Fatalf("buffered %d", got)
	}
	// A pipe delivers each Write as is: one read of the whole proves one
	// write to the network.
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := client.Read(b)
		got <- string(b[:n])
	}()
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "one two three" {
		t.Errorf("read %q", s)
	}
	// Uncorked, writes go straight through.
	go func() {
		b := make([]byte, 64)
		n, _ := client.Read(b)
		got <- string(b[:n])
	}()
	if _, err := c.Write([]byte("direct")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "direct" {
		t.Errorf("read %q", s)
	}
}

func TestCorkConnWriteDeadline(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	defer client.Close()
	c := &corkConn{Conn: server, timeout: 50 * time.Millisecond}
	defer c.Close()
	// Nobody reads: the write gives up at the deadline instead of blocking.
	c.cork()
	_, _ = c.Write([]byte("never read"))
	if err := c.uncork(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("uncork to a client that does not read: %v", err)
	}
	if _, err := c.Write([]byte("again")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("direct write to a client that does not read: %v", err)
	}
}
