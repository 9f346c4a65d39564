package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// wsConn is the bench's websocket client: the least a client needs to join
// a channel and read its messages (RFC 6455 framing over TCP), so that the
// clients, which share the machine with the server, take as little of it as
// they can. The server under test is the real one; only the measuring end
// is lean: frames are read through one buffer, no lock, no timer, no
// allocation per message.
type wsConn struct {
	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the last message's payload, reused
}

// dialWS opens a websocket to a ws:// URL.
func dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(nonce[:]))
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		_ = conn.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = conn.Close()
		return nil, fmt.Errorf("websocket handshake: %s", resp.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	return &wsConn{conn: conn, br: br, buf: make([]byte, 4096)}, nil
}

// writeText sends a text message in one frame, masked as a client's must
// be (with a zero key: the payload goes as is).
func (c *wsConn) writeText(p []byte) error {
	hdr := []byte{0x81, 0}
	switch n := len(p); {
	case n <= 125:
		hdr[1] = 0x80 | byte(n)
	case n <= 0xffff:
		hdr[1] = 0x80 | 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] = 0x80 | 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	hdr = append(hdr, 0, 0, 0, 0) // the mask key
	_, err := c.conn.Write(append(hdr, p...))
	return err
}

var errClosed = errors.New("websocket closed by the server")

// next reads the next data message; its bytes are valid until the next
// call. The server sends each message as one final frame.
func (c *wsConn) next() ([]byte, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return nil, err
		}
		opcode, n := h[0]&0x0f, uint64(h[1]&0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(c.br, ext[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(c.br, ext[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(ext[:])
		}
		if h[1]&0x80 != 0 || n > 16<<20 {
			return nil, fmt.Errorf("unexpected frame from the server (masked or %d bytes)", n)
		}
		if uint64(cap(c.buf)) < n {
			c.buf = make([]byte, n)
		}
		msg := c.buf[:n]
		if _, err := io.ReadFull(c.br, msg); err != nil {
			return nil, err
		}
		switch opcode {
		case 0x1, 0x2: // text, binary
			return msg, nil
		case 0x8:
			return nil, errClosed
		}
		// ping, pong: the server sends none; skip them anyway
	}
}

// close sends a close frame and closes the connection.
func (c *wsConn) close() {
	_, _ = c.conn.Write([]byte{0x88, 0x80, 0, 0, 0, 0})
	_ = c.conn.Close()
}
