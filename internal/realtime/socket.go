package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

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

type joinPayload struct {
	Config struct {
		Broadcast struct {
			Ack              bool     `json:"ack"`
			Self             bool     `json:"self"`
			ReplicationReady flexBool `json:"replication_ready"`
			Replay           *struct {
				Since int64 `json:"since"`
				Limit *int  `json:"limit"`
			} `json:"replay"`
		} `json:"broadcast"`
		Presence struct {
			Key     string `json:"key"`
			Enabled bool   `json:"enabled"`
		} `json:"presence"`
		PostgresChanges []struct {
			Event  string          `json:"event"`
			Schema string          `json:"schema"`
			Table  string          `json:"table"`
			Filter string          `json:"filter"`
			Select json.RawMessage `json:"select"`
		} `json:"postgres_changes"`
		Private bool `json:"private"`
	} `json:"config"`
	AccessToken string `json:"access_token"`
}

func (sk *socket) join(ctx context.Context, m *inMsg) {
	var jp joinPayload
	if len(m.Payload) > 0 && string(m.Payload) != "null" {
		if err := json.Unmarshal(m.Payload, &jp); err != nil {
			sk.replyError(m, "invalid join payload")
			return
		}
	}
	pr := sk.pr
	if jp.AccessToken != "" {
		var err error
		if pr, err = sk.s.gate.Authenticate(ctx, sk.ref, gate.Credentials{APIKey: sk.apiKey, Bearer: jp.AccessToken}); err != nil {
			sk.replyError(m, tokenError(err))
			return
		}
	}
	if old := sk.channel(m.Topic); old != nil { // a rejoin replaces the channel
		sk.mu.Lock()
		delete(sk.channels, m.Topic)
		sk.mu.Unlock()
		sk.p.remove(ctx, old)
	}
	sk.mu.Lock()
	n := len(sk.channels)
	sk.mu.Unlock()
	if n >= sk.s.cfg.MaxChannels {
		sk.replyError(m, "too many channels")
		return
	}
	cfg := jp.Config
	ch := &channel{
		sock: sk, topic: m.Topic, sub: strings.TrimPrefix(m.Topic, topicPrefix), joinRef: m.JoinRef,
		self: cfg.Broadcast.Self, ack: cfg.Broadcast.Ack, private: cfg.Private, canWrite: true, presenceKey: cfg.Presence.Key,
	}
	if ch.presenceKey == "" {
		ch.presenceKey = newPhxRef()
	}
	pool, err := sk.s.projects.Pool(ctx, sk.ref)
	if err != nil {
		sk.s.log.Warn("realtime join", "ref", sk.ref, "err", err)
		sk.replyError(m, "project unavailable")
		return
	}
	type serverBinding struct {
		ID     uint32          `json:"id"`
		Event  string          `json:"event"`
		Schema string          `json:"schema"`
		Table  string          `json:"table,omitempty"`
		Filter string          `json:"filter,omitempty"`
		Select json.RawMessage `json:"select,omitempty"`
	}
	bindings := []serverBinding{}
	for _, b := range cfg.PostgresChanges {
		switch strings.ToUpper(b.Event) {
		case "*", EventInsert, EventUpdate, EventDelete:
		default:
			sk.replyError(m, fmt.Sprintf("invalid postgres_changes event %q", b.Event))
			return
		}
		if b.Schema == "" {
			sk.replyError(m, "postgres_changes needs a schema")
			return
		}
		sel, err := parseSelect(b.Select)
		if err != nil {
			sk.replyError(m, err.Error())
			return
		}
		f, err := parseFilter(b.Filter)
		if err != nil {
			sk.replyError(m, err.Error())
			return
		}
		if sel != nil && (b.Schema == "*" || b.Table == "" || b.Table == "*") {
			sk.replyError(m, errSelectWildcard.Error())
			return
		}
		params := fmt.Sprintf("event: %s, schema: %s, table: %s, filters: [%s]", b.Event, b.Schema, b.Table, b.Filter)
		if sel != nil {
			params += ", select: [" + strings.Join(sel.list, ", ") + "]"
		}
		// The gate first: a table outside a key's scopes is refused as one
		// that is not published, telling nothing of it.
		if _, err := sk.s.gate.Authorize(ctx, sk.ref, pr, changesAction(b.Schema, b.Table)); err != nil || checkBinding(ctx, pool, pr.Role, b.Schema, b.Table) != nil {
			if err != nil && !gate.IsForbidden(err) {
				sk.s.log.Warn("authorizing a postgres_changes binding", "ref", sk.ref, "err", err)
			}
			sk.replyError(m, "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ["+params+"]")
			return
		}
		// The columns named must exist and be the principal's to select,
		// as Supabase checks when it stores the subscription (a table
		// wildcard is checked change by change: a row without the column
		// does not pass).
		for _, cols := range []struct {
			what string
			list []string
		}{{"filter", f.columns()}, {"select", sel.columnList()}} {
			if len(cols.list) == 0 || b.Table == "" || b.Table == "*" || b.Schema == "*" {
				continue
			}
			bad, ok, err := checkColumns(ctx, pool, pr.Role, b.Schema, b.Table, cols.list)
			if err != nil {
				sk.s.log.Warn("checking a postgres_changes binding's columns", "ref", sk.ref, "err", err)
			}
			if !ok {
				sk.replyError(m, "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ["+params+"]. Exception: invalid column for "+cols.what+" "+bad)
				return
			}
		}
		if f != nil && b.Table != "" && b.Table != "*" && b.Schema != "*" {
			problem, err := checkValues(ctx, pool, b.Schema, b.Table, f)
			if err != nil {
				sk.s.log.Warn("checking a postgres_changes filter's values", "ref", sk.ref, "err", err)
			}
			if problem != "" {
				sk.replyError(m, "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ["+params+"]. Exception: "+problem)
				return
			}
		}
		if b.Table != "" && b.Table != "*" && b.Schema != "*" && pr.Role != roleService {
			allowed, err := grantedColumns(ctx, pool, pr.Role, b.Schema, b.Table)
			if err != nil {
				sk.s.log.Warn("reading a postgres_changes table's column grants", "ref", sk.ref, "err", err)
				sk.replyError(m, "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ["+params+"]")
				return
			}
			sel = sel.limitTo(allowed)
		}
		id := crc32.ChecksumIEEE([]byte(b.Event + "\x00" + b.Schema + "\x00" + b.Table + "\x00" + b.Filter + "\x00" + sel.groupKey()))
		ch.pg = append(ch.pg, pgBinding{id: id, event: b.Event, schema: b.Schema, table: b.Table, filter: b.Filter, f: f, sel: sel})
		bindings = append(bindings, serverBinding{ID: id, Event: b.Event, Schema: b.Schema, Table: b.Table, Filter: b.Filter, Select: b.Select})
	}
	v, err := sk.s.decide(ctx, sk.ref, ch, pr, jp.AccessToken)
	if err != nil {
		if !gate.IsForbidden(err) {
			sk.s.log.Warn("authorizing a channel", "ref", sk.ref, "err", err)
		}
		sk.replyError(m, "Unauthorized: You do not have permissions to read from this Channel topic: "+ch.sub)
		return
	}
	ch.viewer.Store(v)
	if ch.private {
		read, write, err := authorizePrivate(ctx, v.d, ch.sub)
		if err != nil {
			sk.s.log.Warn("authorising a private channel", "ref", sk.ref, "err", err)
			sk.replyError(m, "Unauthorized: You do not have permissions to read from this Channel topic: "+ch.sub)
			return
		}
		if !read {
			sk.replyError(m, "Unauthorized: You do not have permissions to read from this Channel topic: "+ch.sub)
			return
		}
		ch.canWrite = write
	}
	var replay []frame
	if r := cfg.Broadcast.Replay; r != nil && ch.private {
		if replay, ch.replayed, err = replayBroadcasts(ctx, ch, v.d, r.Since, r.Limit); err != nil {
			sk.s.log.Warn("replaying broadcasts", "ref", sk.ref, "err", err)
		}
	}
	// Any channel needs the capture: postgres_changes for its changes,
	// broadcast for realtime.send. The first join creates the slot before
	// the reply, so that changes committed after it are delivered.
	if err := sk.p.acquire(ctx); err == nil {
		ch.acquired = true
	} else {
		sk.s.log.Warn("starting realtime change capture", "ref", sk.ref, "err", err)
		if len(ch.pg) > 0 {
			sk.replyError(m, "realtime change capture is unavailable for this project")
			return
		}
	}
	sk.mu.Lock()
	sk.channels[m.Topic] = ch
	sk.mu.Unlock()
	sk.p.add(ch, func() {
		sk.reply(m, "ok", map[string]any{"postgres_changes": bindings})
		if len(ch.pg) > 0 {
			sk.system(ch, "ok", evPGChanges, "Subscribed to PostgreSQL")
			sk.p.noticeLost(ch)
		}
		if cfg.Presence.Enabled {
			state := json.RawMessage("{}")
			if v.senses {
				state = sk.p.presenceState(ch)
			}
			sk.send(encodeText(sk.v2, nil, nil, ch.topic, evPresState, state))
		}
		for _, f := range replay {
			sk.send(f)
		}
		if cfg.Broadcast.ReplicationReady {
			sk.p.awaitReady(ch)
		}
	})
}

// checkBinding verifies that a postgres_changes subscription names published
// tables the principal may select.
func checkBinding(ctx context.Context, pool *pgxpool.Pool, role, schema, table string) error {
	var ok bool
	err := pool.QueryRow(ctx, `select exists (
		select from pg_publication_tables t
		where t.pubname = $1 and ($2 = '*' or t.schemaname = $2) and ($3 in ('', '*') or t.tablename = $3)
		  and ($4 = $5 or not exists (select from pg_roles where rolname = $4)
		       or case when $2 = '*' or $3 in ('', '*')
		               then has_table_privilege($4, format('%I.%I', t.schemaname, t.tablename), 'SELECT')
		               -- a named table: column-level grants are enough, the payload then carries only those columns
		               else has_any_column_privilege($4, format('%I.%I', t.schemaname, t.tablename), 'SELECT') end))`,
		Publication, schema, table, role, roleService).Scan(&ok)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("no such published table")
	}
	return nil
}

// checkColumns returns the first of cols that the table lacks or that role
// may not select; ok when there is none.
func checkColumns(ctx context.Context, pool *pgxpool.Pool, role, schema, table string, cols []string) (bad string, ok bool, err error) {
	err = pool.QueryRow(ctx, `select c from unnest($1::text[]) c
		where not exists (
			select from pg_attribute a
			where a.attrelid = to_regclass(format('%I.%I', $2::text, $3::text)) and a.attnum > 0 and not a.attisdropped
			  and a.attname = c
			  and ($4 = $5 or not exists (select from pg_roles where rolname = $4)
			       or has_column_privilege($4, a.attrelid, a.attnum, 'SELECT')))
		limit 1`, cols, schema, table, role, roleService).Scan(&bad)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", true, nil
	}
	return bad, false, err
}

// grantedColumns returns the columns of schema.table role may select
// when column-level grants keep it from some (nil when it may select them
// all, or the role is not a database role), so that change payloads carry
// no column the role could not read with a select.
func grantedColumns(ctx context.Context, pool *pgxpool.Pool, role, schema, table string) ([]string, error) {
	var allowed []string
	var all int
	err := pool.QueryRow(ctx, `select coalesce(array_agg(a.attname::text order by a.attnum)
			filter (where not exists (select from pg_roles where rolname = $3)
			            or has_column_privilege($3, a.attrelid, a.attnum, 'SELECT')), '{}'), count(*)
		from pg_attribute a
		where a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and a.attnum > 0 and not a.attisdropped`,
		schema, table, role).Scan(&allowed, &all)
	if err != nil || len(allowed) == all {
		return nil, err
	}
	return allowed, nil
}

// checkValues has PostgreSQL read each value a filter compares with as its
// column's type (the type's own input function, the type bound as the
// parameter's), as Supabase checks when it stores a subscription: a value
// the column cannot hold ("abc" for an integer) is refused at join instead
// of never matching. problem is PostgreSQL's message; err is a failure to
// check.
func checkValues(ctx context.Context, pool *pgxpool.Pool, schema, table string, f *filter) (problem string, err error) {
	rows, err := pool.Query(ctx, `select a.attname::text, a.atttypid from pg_attribute a
		where a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and a.attnum > 0 and not a.attisdropped
		  and a.attname = any($3)`, schema, table, f.columns())
	if err != nil {
		return "", err
	}
	types := map[string]uint32{}
	for rows.Next() {
		var name string
		var oid uint32
		if err := rows.Scan(&name, &oid); err != nil {
			rows.Close()
			return "", err
		}
		types[name] = oid
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	var (
		sql    strings.Builder
		values [][]byte
		oids   []uint32
	)
	for _, c := range f.conds {
		oid, ok := types[c.column]
		if !ok {
			continue
		}
		var vals []string
		switch c.op {
		case "eq", "neq", "lt", "lte", "gt", "gte", "isdistinct":
			vals = []string{c.value}
		case "in":
			vals = c.set
		}
		for _, v := range vals {
			if len(values) == 0 {
				sql.WriteString("select ")
			} else {
				sql.WriteString(", ")
			}
			fmt.Fprintf(&sql, "$%d", len(values)+1)
			values = append(values, []byte(v))
			oids = append(oids, oid)
		}
	}
	if len(values) == 0 {
		return "", nil
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	_, err = conn.Conn().PgConn().ExecParams(ctx, sql.String(), values, oids, nil, nil).Close()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message, nil
	}
	return "", err
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
