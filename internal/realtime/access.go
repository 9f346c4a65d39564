package realtime

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
)

// What a channel's principal may do is the gate's to decide, at join,
// whenever the client sends a new token, and again at each token check:
//
//   - each postgres_changes binding needs realtime:read on its table (the
//     table "*" or schema "*" of a wildcard binding need a scope that
//     covers every table of the schema, or every schema);
//   - hearing the broadcasts of the channel's topic needs broadcast:read
//     on it; a channel of postgres_changes alone joins without it, and
//     then hears no broadcast;
//   - seeing the topic's presence needs presence:read;
//   - sending a broadcast needs broadcast:write, tracking presence
//     presence:write, each asked when it happens;
//   - a private channel asks realtime.messages' policies (RLS) on top.
//
// The viewer holds the decision, and every query run as the principal
// (row visibility, private channel probes, replays) runs from it.

// viewer is a channel's principal, as decided by the gate, with the key
// that groups the channels whose visibility checks are the same query:
// same role, same claims.
type viewer struct {
	d      *gate.Decision // the channel's tables and, if hears, its topic's broadcasts
	token  string         // the access token it came from; "" for the socket's apikey
	key    string
	hears  bool // broadcasts on the topic reach the channel
	senses bool // presence on the topic reaches the channel
}

func (v *viewer) principal() *gate.Principal { return v.d.Principal() }

// changesAction is what a postgres_changes binding asks of the gate.
func changesAction(schema, table string) gate.Action {
	if table == "" {
		table = "*"
	}
	return gate.Action{API: gate.APIRealtime, Op: gate.OpRead, Schema: schema, Relation: table}
}

func topicAction(api string, op gate.Op, topic string) gate.Action {
	return gate.Action{API: api, Op: op, Topic: topic}
}

// decide asks the gate what pr may do on ch (its bindings and topic) and
// returns the viewer, or the gate's refusal.
func (s *Server) decide(ctx context.Context, ref string, ch *channel, pr *gate.Principal, token string) (*viewer, error) {
	acts := make([]gate.Action, 0, len(ch.pg)+1)
	for _, b := range ch.pg {
		acts = append(acts, changesAction(b.schema, b.table))
	}
	v := &viewer{token: token, key: pr.Role + "\x00" + string(pr.ClaimsJSON)}
	d, err := s.gate.Authorize(ctx, ref, pr, append(acts, topicAction(gate.APIBroadcast, gate.OpRead, ch.sub))...)
	switch {
	case err == nil:
		v.d, v.hears = d, true
	case !gate.IsForbidden(err) || len(acts) == 0 || ch.private:
		return nil, err
	default: // postgres_changes only: the channel hears no broadcast
		if v.d, err = s.gate.Authorize(ctx, ref, pr, acts...); err != nil {
			return nil, err
		}
	}
	_, err = s.gate.Authorize(ctx, ref, pr, topicAction(gate.APIPresence, gate.OpRead, ch.sub))
	switch {
	case err == nil:
		v.senses = true
	case !gate.IsForbidden(err):
		return nil, err
	}
	return v, nil
}

// allow asks the gate whether ch's current principal may do op on its
// topic (broadcast or presence writes).
func (sk *socket) allow(ctx context.Context, ch *channel, api string, op gate.Op) (*gate.Decision, error) {
	v := ch.viewer.Load()
	if v == nil {
		return nil, gate.ErrForbidden
	}
	return sk.s.gate.Authorize(ctx, sk.ref, v.principal(), topicAction(api, op, ch.sub))
}

// authorizePrivate asks realtime.messages' RLS policies whether d's
// principal may read (receive) and write (send) on a private topic, as
// Supabase does: probe rows are written by the platform, then selected and
// written again as the principal, and everything is rolled back.
func authorizePrivate(ctx context.Context, d *gate.Decision, topic string) (read, write bool, err error) {
	if d.Principal().Role == roleService {
		return true, true, nil
	}
	ids := []string{newUUID(), newUUID()}
	probe := gate.Statement{
		SQL:  `insert into realtime.messages (id, topic, extension, private) values ($1::uuid, $3, 'broadcast', true), ($2::uuid, $3, 'presence', true)`,
		Args: []any{ids[0], ids[1], topic},
	}
	sess, err := d.Acquire(ctx) // within the project's fair share, as every request
	if err != nil {
		return false, false, err
	}
	defer sess.Release()
	tx, err := sess.Begin(ctx, pgx.TxOptions{}, gate.Settings{Topic: topic}, probe)
	if err != nil {
		return false, false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var n int
	if err := tx.QueryRow(ctx, "select count(*) from realtime.messages where id = any($1::uuid[])", ids).Scan(&n); err != nil {
		return false, false, nil // no select privilege: no read
	}
	if _, err := tx.Exec(ctx, "savepoint probe"); err != nil {
		return false, false, err
	}
	_, werr := tx.Exec(ctx, "insert into realtime.messages (topic, extension, private) values ($1, 'broadcast', true)", topic)
	return n > 0, werr == nil, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Replay limits, as Supabase Realtime's: the default and the most a join
// may ask for.
const (
	replayDefaultLimit = 10
	replayMaxLimit     = 25
)

// replayBroadcasts returns the frames replaying to a private channel the
// last limit persisted broadcasts since a time (ms since the epoch), oldest
// first, as the principal may read them, with their ids. Each carries
// meta {"id", "replayed": true}, as Supabase Realtime's; a binary one is
// skipped for a 1.0.0 socket, which cannot carry it, as Supabase does.
func replayBroadcasts(ctx context.Context, ch *channel, d *gate.Decision, since int64, limit *int) ([]frame, map[string]struct{}, error) {
	n := replayDefaultLimit
	if limit != nil {
		n = min(max(*limit, 1), replayMaxLimit)
	}
	sess, err := d.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer sess.Release()
	tx, err := sess.Begin(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly}, gate.Settings{Topic: ch.sub})
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `select * from (
			select id::text, coalesce(event, ''), payload, binary_payload, inserted_at from realtime.messages
			where topic = $1 and extension = 'broadcast' and private and inserted_at >= to_timestamp($2::float8 / 1000)
			order by inserted_at desc limit $3) m
		order by inserted_at`, ch.sub, since, n)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []frame
	ids := map[string]struct{}{}
	for rows.Next() {
		b := &Broadcast{Topic: ch.sub, Private: true}
		var bin []byte
		var at time.Time
		if err := rows.Scan(&b.id, &b.Event, &b.Payload, &bin, &at); err != nil {
			return nil, nil, err
		}
		ids[b.id] = struct{}{}
		if bin != nil && !ch.sock.v2 {
			continue
		}
		b.Meta = mustJSON(map[string]any{"id": b.id, "replayed": true})
		switch {
		case bin != nil:
			b.Payload, b.Binary = bin, true
		case b.Payload == nil:
			b.Payload = []byte("{}")
		}
		out = append(out, broadcastFrame(ch, b))
	}
	return out, ids, rows.Err()
}

// accessToken takes a channel's new token: the channel goes on as the new
// principal if the gate allows it what the channel does, else it closes.
func (sk *socket) accessToken(ctx context.Context, ch *channel, m *inMsg) {
	var p struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(m.Payload, &p)
	pr, err := sk.s.gate.Authenticate(ctx, sk.ref, gate.Credentials{APIKey: sk.apiKey, Bearer: p.AccessToken})
	var v *viewer
	if err == nil {
		v, err = sk.s.decide(ctx, sk.ref, ch, pr, p.AccessToken)
	}
	if err != nil {
		sk.revoke(ctx, ch, nil, err)
		return
	}
	sk.mu.Lock() // revoke compares the viewer under sk.mu
	ch.viewer.Store(v)
	sk.mu.Unlock()
	sk.reply(m, "ok", nil)
}

// revoke closes ch because its token failed or the gate refused it (err):
// the client is told why with a system message, then the channel closes,
// as Supabase Realtime does. With checked set, only if ch still has that
// viewer: a client that sent a new token meanwhile keeps its channel.
func (sk *socket) revoke(ctx context.Context, ch *channel, checked *viewer, err error) {
	sk.shutdown(ctx, ch, checked, tokenError(err))
}

// shutdown closes ch, telling the client why with a system message, as
// Supabase Realtime does when it stops a channel. With checked set, only if
// ch still has that viewer.
func (sk *socket) shutdown(ctx context.Context, ch *channel, checked *viewer, message string) {
	sk.mu.Lock()
	if sk.channels[ch.topic] != ch || (checked != nil && ch.viewer.Load() != checked) { // left, rejoined or renewed meanwhile
		sk.mu.Unlock()
		return
	}
	delete(sk.channels, ch.topic)
	sk.mu.Unlock()
	sk.system(ch, "error", evSystem, message)
	sk.p.remove(ctx, ch)
	sk.send(encodeText(sk.v2, ch.joinRef, nil, ch.topic, evClose, json.RawMessage("{}")))
}

func (sk *socket) broadcast(ctx context.Context, ch *channel, m *inMsg) {
	b := &Broadcast{Topic: ch.sub, Private: ch.private, from: ch}
	if m.bin != nil {
		b.Event, b.Payload, b.Binary, b.Meta = m.bin.Event, m.bin.Payload, m.bin.Encoding == encodingBinary, m.bin.Meta
	} else {
		var p struct {
			Event   string          `json:"event"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			sk.replyError(m, "invalid broadcast payload")
			return
		}
		b.Event, b.Payload = p.Event, p.Payload
		if len(b.Payload) == 0 {
			b.Payload = []byte("{}")
		}
	}
	d, err := sk.allow(ctx, ch, gate.APIBroadcast, gate.OpWrite)
	if err != nil || (ch.private && !ch.canWrite) {
		if err != nil && !gate.IsForbidden(err) {
			sk.s.log.Warn("authorizing a broadcast", "ref", sk.ref, "err", err)
		}
		if ch.ack {
			sk.replyError(m, "Unauthorized: You do not have permissions to write to this Channel topic: "+ch.sub)
		}
		return
	}
	if err := sk.s.publishBroadcast(ctx, d, b); err != nil {
		sk.s.log.Warn("publishing a broadcast", "ref", sk.ref, "err", err)
		if ch.ack {
			sk.replyError(m, "broadcast failed")
		}
		return
	}
	if ch.ack {
		sk.reply(m, "ok", nil)
	}
}

func (sk *socket) presence(ctx context.Context, ch *channel, m *inMsg) {
	var p struct {
		Event   string          `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		sk.replyError(m, "invalid presence payload")
		return
	}
	var err error
	switch p.Event {
	case "track":
		if _, aerr := sk.allow(ctx, ch, gate.APIPresence, gate.OpWrite); aerr != nil || (ch.private && !ch.canWrite) {
			if aerr != nil && !gate.IsForbidden(aerr) {
				sk.s.log.Warn("authorizing presence", "ref", sk.ref, "err", aerr)
			}
			sk.replyError(m, "Unauthorized: You do not have permissions to track presence on this Channel topic: "+ch.sub)
			return
		}
		err = sk.p.track(ctx, ch, p.Payload)
	case "untrack":
		err = sk.p.untrack(ctx, ch)
	default:
		sk.replyError(m, "unknown presence event "+p.Event)
		return
	}
	if err != nil {
		sk.s.log.Warn("publishing presence", "ref", sk.ref, "err", err)
		sk.replyError(m, "presence failed")
		return
	}
	sk.reply(m, "ok", nil)
}

// errNotDecided: a broadcast without the gate's decision to send it.
var errNotDecided = errors.New("realtime: no decision allows this broadcast")

// publishBroadcast fans a broadcast out through the bus. d must be the
// gate's decision to write on b's topic.
func (s *Server) publishBroadcast(ctx context.Context, d *gate.Decision, b *Broadcast) error {
	if d == nil || !d.Covers(topicAction(gate.APIBroadcast, gate.OpWrite, b.Topic)) {
		return errNotDecided
	}
	return s.bus.Publish(ctx, "realtime."+d.Ref()+".fanout."+busToken(b.Topic), b)
}

// publishCommitted fans out a broadcast committed to realtime.messages
// of project ref: its writer was authorized by the database (grants and
// RLS on realtime.messages), so it needs no decision of the gate.
func (s *Server) publishCommitted(ctx context.Context, ref string, b *Broadcast) error {
	return s.bus.Publish(ctx, "realtime."+ref+".fanout."+busToken(b.Topic), b)
}
