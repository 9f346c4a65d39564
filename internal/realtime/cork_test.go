package realtime

import (
	"bytes"
	"errors"
	"io"
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

func TestCorkConnFrames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size   int
		binary bool
		header []byte
	}{
		{5, false, []byte{0x81, 5}},
		{125, true, []byte{0x82, 125}},
		{126, false, []byte{0x81, 126, 0, 126}},
		{65535, false, []byte{0x81, 126, 0xff, 0xff}},
		{65536, true, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		server, client := net.Pipe()
		c := &corkConn{Conn: server, timeout: time.Minute}
		payload := bytes.Repeat([]byte{'x'}, tc.size)
		c.cork()
		if err := c.writeMessage(tc.binary, payload); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(client)
			got <- b
		}()
		if err := c.uncork(); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		b := <-got
		if !bytes.Equal(b[:len(tc.header)], tc.header) || !bytes.Equal(b[len(tc.header):], payload) {
			t.Errorf("%d bytes: frame starts %x, %d bytes long", tc.size, b[:min(len(b), 10)], len(b))
		}
		_ = client.Close()
	}
}
