package realtime

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// corkConn is a socket's network connection, under the websocket library.
// The socket's writer frames its data messages onto it itself
// ([corkConn.writeMessage]); while the writer has corked it, they (and any
// control frame the library writes meanwhile) gather in a buffer that
// uncork sends with one system call, so the frames queued for a socket
// leave together. Every write to the network has a deadline: a client that
// does not read is cut off after the write timeout, without a timer per
// message.
type corkConn struct {
	net.Conn
	timeout time.Duration

	mu     sync.Mutex
	corked bool
	buf    []byte
}

// Batch buffers are shared by the sockets through a pool: a socket holds
// one only while it has something to send, so memory follows the sockets
// busy writing, not all of them. A buffer grown past maxPooledBuffer (a
// burst of big messages) is left to the collector.
const maxPooledBuffer = 1 << 20

var corkBuffers sync.Pool // of *[]byte

func getCorkBuffer() []byte {
	if b, ok := corkBuffers.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 4096)
}

func putCorkBuffer(b []byte) {
	if cap(b) <= maxPooledBuffer {
		corkBuffers.Put(&b)
	}
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		if c.buf == nil {
			c.buf = getCorkBuffer()
		}
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.send(p)
}

// send writes to the network with the deadline. The caller holds c.mu.
func (c *corkConn) send(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// Websocket opcodes (RFC 6455 section 5.2).
const (
	opText   = 0x1
	opBinary = 0x2
)

// writeMessage writes a data message as one final, unmasked frame (a
// server's), gathered while corked. The socket's writer sends data
// messages this way rather than through the websocket library, which then
// writes only control frames (pong, close): those are small, so each
// reaches this connection as one Write, never between two halves of a
// frame of ours.
func (c *corkConn) writeMessage(binary bool, p []byte) error {
	var hdr [10]byte
	hdr[0] = 0x80 | opText // FIN
	if binary {
		hdr[0] = 0x80 | opBinary
	}
	h := hdr[:2]
	switch n := len(p); {
	case n <= 125:
		hdr[1] = byte(n)
	case n <= 0xffff:
		hdr[1] = 126
		be.PutUint16(hdr[2:], uint16(n))
		h = hdr[:4]
	default:
		hdr[1] = 127
		be.PutUint64(hdr[2:], uint64(n))
		h = hdr[:10]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		c.buf = getCorkBuffer()
	}
	c.buf = append(c.buf, h...)
	c.buf = append(c.buf, p...)
	if c.corked {
		return nil
	}
	_, err := c.send(c.buf)
	putCorkBuffer(c.buf)
	c.buf = nil
	return err
}

var be = binary.BigEndian

// buffered is the size of the writes gathered.
func (c *corkConn) buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// cork starts gathering writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork sends what was gathered and stops gathering.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.send(c.buf)
	putCorkBuffer(c.buf)
	c.buf = nil
	return err
}

// corkWriter hands the websocket library a [corkConn] when it hijacks the
// connection.
type corkWriter struct {
	http.ResponseWriter
	timeout time.Duration
	conn    *corkConn // set by Hijack
}

var _ http.Hijacker = (*corkWriter)(nil)

// Hijack implements [http.Hijacker]. The returned writer buffers like the
// server's, over the corkConn.
func (w *corkWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Writer.Buffered() > 0 {
		if err := brw.Flush(); err != nil {
			_ = c.Close()
			return nil, nil, err
		}
	}
	if w.timeout <= 0 {
		_ = c.Close()
		return nil, nil, errors.New("realtime: corkWriter without a write timeout")
	}
	w.conn = &corkConn{Conn: c, timeout: w.timeout}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, 4096)), nil
}
