package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
)

const (
	roleService = "service_role"
	idleTimeout = 60 * time.Second
)

// socket is one websocket connection. The handler goroutine reads; a
// writer goroutine drains the bounded out queue.
type socket struct {
	s      *Server
	p      *project
	ref    string
	conn   *websocket.Conn
	cork   *corkConn // conn's network connection
	v2     bool
	apiKey string
	pr     *gate.Principal

	// The send queue: frames waiting for the writer, at most
	// [Config.SendQueue]. A slice, not a buffered channel, so that an idle
	// socket holds (and the collector scans) no queue-sized buffer.
	qmu       sync.Mutex
	queue     []frame
	spare     []frame       // the writer's previous batch, reused
	wake      chan struct{} // capacity 1: the queue is not empty
	closing   chan struct{}
	closeOnce sync.Once
	code      websocket.StatusCode
	reason    string

	mu       sync.Mutex
	channels map[string]*channel // by topic
}

// channel is a channel joined on a socket.
type channel struct {
	sock        *socket
	topic       string // as the client names it: "realtime:room"
	sub         string // without the prefix, as broadcast and realtime.send name it
	joinRef     *string
	pg          []pgBinding
	self, ack   bool
	private     bool
	canWrite    bool
	presenceKey string
	viewer      atomic.Pointer[viewer] // who receives the changes
	acquired    bool                   // counted by the project's capture (acquire); set before add
	// The replication ready handshake (ready.go), under the project's mu.
	readyPending bool
	readyTimer   *time.Timer
	replayed     map[string]struct{} // ids of the broadcasts the join replayed; set before add
}

// pgBinding is one postgres_changes subscription of a channel.
type pgBinding struct {
	id     uint32
	event  string // as the client sent it
	schema string
	table  string
	filter string
	f      *filter
	sel    *selection // the payload's columns; nil for all
}

func (b *pgBinding) match(c *Change) bool {
	if b.schema != c.Schema && b.schema != "*" {
		return false
	}
	if b.table != "" && b.table != "*" && b.table != c.Table {
		return false
	}
	if b.event != "*" && !strings.EqualFold(b.event, c.Type) {
		return false
	}
	switch c.Type {
	case EventInsert, EventUpdate:
		return b.f.match(c.Record)
	case EventDelete:
		return b.f.match(c.OldRecord)
	}
	return b.f == nil
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	ref := httpx.ProjectRef(r.Context())
	q := r.URL.Query()
	vsn := q.Get("vsn")
	if vsn != "" && vsn != "1.0.0" && vsn != "2.0.0" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "unsupported vsn " + vsn})
		return
	}
	apiKey := q.Get("apikey")
	if apiKey == "" {
		apiKey = r.Header.Get(gate.HeaderAPIKey)
	}
	creds := gate.FromRequest(r)
	creds.APIKey = apiKey // realtime-js sends the key as a query parameter
	pr, err := s.gate.Authenticate(r.Context(), ref, creds)
	if err != nil {
		httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": tokenError(err)})
		return
	}
	p, err := s.startProject(ref)
	if err != nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "realtime is not running"})
		return
	}
	// Supabase clients connect from any origin; the token, not the origin,
	// authorises the socket.
	cw := &corkWriter{ResponseWriter: w, timeout: s.cfg.WriteTimeout}
	conn, err := websocket.Accept(cw, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept wrote the error response
	}
	conn.SetReadLimit(s.cfg.MaxMessageBytes)
	sk := &socket{
		s: s, p: p, ref: ref, conn: conn, cork: cw.conn, v2: vsn == "2.0.0", apiKey: apiKey, pr: pr,
		wake: make(chan struct{}, 1), closing: make(chan struct{}), channels: map[string]*channel{},
	}
	s.mu.Lock()
	run := s.run
	if run == nil {
		s.mu.Unlock()
		_ = conn.Close(websocket.StatusGoingAway, "server stopping")
		return
	}
	run.sockets[sk] = struct{}{}
	run.wg.Add(1)
	s.mu.Unlock()
	defer run.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(run.sockets, sk)
		s.mu.Unlock()
	}()
	sk.serve()
}

// serve runs the socket until it closes.
func (sk *socket) serve() {
	ctx, cancel := context.WithCancel(context.Background()) // not the request's: Stop closes sockets with a reason
	defer cancel()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer cancel()
		sk.writeLoop()
	}()
	for {
		// A client sends a heartbeat every 25 s (realtime-js); one silent
		// for idleTimeout is gone.
		rctx, cancelRead := context.WithTimeout(ctx, idleTimeout)
		typ, data, err := sk.conn.Read(rctx)
		cancelRead()
		if err != nil {
			sk.closeWith(websocket.StatusNormalClosure, "")
			break
		}
		var m *inMsg
		if typ == websocket.MessageBinary {
			m, err = decodeBinary(data)
		} else {
			m, err = decodeText(data, sk.v2)
		}
		if err != nil {
			sk.closeWith(websocket.StatusUnsupportedData, err.Error())
			break
		}
		sk.handle(ctx, m)
	}
	<-writerDone
	sk.mu.Lock()
	chans := sk.channels
	sk.channels = map[string]*channel{}
	sk.mu.Unlock()
	for _, ch := range chans {
		sk.p.remove(context.Background(), ch)
	}
}

// maxWriteBatchBytes bounds what a socket's writer sends with one system
// call.
const maxWriteBatchBytes = 256 << 10

// writeLoop sends the queued frames. The frames waiting when it wakes leave
// together: corked, then sent with one system call (or a few, for more than
// maxWriteBatchBytes). It frames the messages itself
// ([corkConn.writeMessage]): each frame is one append, with no lock or timer
// of the websocket library's; the connection's write deadline bounds the
// system call.
func (sk *socket) writeLoop() {
	for {
		select {
		case <-sk.closing:
			_ = sk.conn.Close(sk.code, sk.reason)
			return
		case <-sk.wake:
		}
		sk.qmu.Lock()
		batch := sk.queue
		sk.queue, sk.spare = sk.spare, nil
		sk.qmu.Unlock()
		select {
		case <-sk.closing:
			_ = sk.conn.Close(sk.code, sk.reason)
			return
		default:
		}
		sk.cork.cork()
		var err error
		for _, f := range batch {
			if err = sk.cork.writeMessage(f.binary, f.data); err != nil {
				break
			}
			if sk.cork.buffered() >= maxWriteBatchBytes {
				if err = sk.cork.uncork(); err != nil {
					break
				}
				sk.cork.cork()
			}
		}
		if uerr := sk.cork.uncork(); err == nil {
			err = uerr
		}
		if err != nil {
			sk.closeWith(websocket.StatusGoingAway, "write failed")
			_ = sk.conn.CloseNow()
			return
		}
		clear(batch) // let the frames' bytes go
		sk.qmu.Lock()
		if cap(batch) <= sk.s.cfg.SendQueue {
			sk.spare = batch[:0]
		}
		sk.qmu.Unlock()
	}
}

// closeWith closes the socket once, with a status and reason; it reports
// whether this call closed it.
func (sk *socket) closeWith(code websocket.StatusCode, reason string) bool {
	did := false
	sk.closeOnce.Do(func() {
		sk.code, sk.reason, did = code, reason, true
		close(sk.closing)
	})
	return did
}

// send queues a frame without blocking; a full queue disconnects the client.
func (sk *socket) send(f frame) {
	select {
	case <-sk.closing:
		return
	default:
	}
	sk.qmu.Lock()
	full := len(sk.queue) >= sk.s.cfg.SendQueue
	if !full {
		sk.queue = append(sk.queue, f)
	}
	sk.qmu.Unlock()
	if full {
		if sk.closeWith(websocket.StatusPolicyViolation, ErrSlowClient.Error()) {
			sk.s.slowDisconnects.Add(1)
			sk.s.log.Warn("disconnecting a slow realtime client", "ref", sk.ref, "queue", sk.s.cfg.SendQueue)
		}
		return
	}
	select {
	case sk.wake <- struct{}{}:
	default: // already signalled
	}
}

func (sk *socket) reply(m *inMsg, status string, response any) {
	sk.send(encodeText(sk.v2, m.JoinRef, m.Ref, m.Topic, evReply, replyPayload(status, response)))
}

func (sk *socket) replyError(m *inMsg, reason string) {
	sk.reply(m, "error", map[string]string{"reason": reason})
}

func (sk *socket) system(ch *channel, status, extension, message string) {
	sk.send(encodeText(sk.v2, nil, nil, ch.topic, evSystem, mustJSON(map[string]string{
		"status": status, "extension": extension, "message": message, "channel": ch.sub,
	})))
}

func (sk *socket) channel(topic string) *channel {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return sk.channels[topic]
}

func (sk *socket) handle(ctx context.Context, m *inMsg) {
	if m.Topic == topicPhoenix {
		if m.Event == evHeartbeat {
			sk.reply(m, "ok", nil)
		}
		return
	}
	if m.Event == evJoin {
		sk.join(ctx, m)
		return
	}
	ch := sk.channel(m.Topic)
	if ch == nil {
		sk.replyError(m, "unmatched topic")
		return
	}
	switch m.Event {
	case evLeave:
		sk.mu.Lock()
		delete(sk.channels, m.Topic)
		sk.mu.Unlock()
		sk.p.remove(ctx, ch)
		sk.reply(m, "ok", nil)
		sk.send(encodeText(sk.v2, ch.joinRef, m.Ref, ch.topic, evClose, json.RawMessage("{}")))
	case evAccessToken:
		sk.accessToken(ctx, ch, m)
	case evBroadcast:
		sk.broadcast(ctx, ch, m)
	case evPresence:
		sk.presence(ctx, ch, m)
	default:
		sk.replyError(m, "unknown event "+m.Event)
	}
}

func tokenError(err error) string {
	switch {
	case errors.Is(err, gate.ErrExpiredToken):
		return "Token has expired"
	case errors.Is(err, gate.ErrNoCredentials):
		return "No API key found in request"
	}
	return "Invalid JWT Token"
}

func newPhxRef() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
