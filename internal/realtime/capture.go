package realtime

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// relation is what the capture knows of a published table.
type relation struct {
	schema, table string
	columns       []Column
	messages      bool // realtime.messages: broadcast from the database
	rls           bool // row level security is enabled
}

// capture streams one project's replication slot onto the bus. It runs in
// the project's capture goroutine only.
type capture struct {
	p         *project
	repl      *pgconn.PgConn
	meta      *pgx.Conn // catalog lookups (column types)
	rels      map[uint32]*relation
	commit    time.Time
	xid       uint32
	inTx      bool
	confirmed pglogrepl.LSN
	since     time.Time // changes committed before are not published
	seen      bool      // the current transaction was published before (project.published)
}

// stale reports whether the current transaction committed before c.since,
// or was published already by an earlier capture run of this process.
func (c *capture) stale() bool {
	return c.seen || (!c.commit.IsZero() && c.commit.Before(c.since))
}

// acquire counts a channel joining the project and makes sure its capture
// runs. The first one creates the slot before returning, so that the join
// reply comes after it: every change committed from then on is decoded.
// Each successful acquire is paired with a release.
func (p *project) acquire(ctx context.Context) error {
	p.capMu.Lock()
	p.users++
	if p.idle != nil {
		p.idle.Stop()
		p.idle = nil
	}
	running := p.want
	p.capMu.Unlock()
	if running {
		return nil
	}
	if err := p.createSlot(ctx); err != nil {
		p.release()
		return err
	}
	p.capMu.Lock()
	if p.users > 0 && !p.want {
		p.want = true
		p.started.Store(time.Now().UnixNano())
		p.signal()
	}
	p.capMu.Unlock()
	return nil
}

// release counts a channel leaving. When none is left, the capture (its
// walsender and catalog connection) stops after [Config.HoldWindow], so
// that a client reconnecting in the meantime finds it running. The slot
// stays, retaining WAL, until the project is deleted ([Server.Teardown]).
func (p *project) release() {
	p.capMu.Lock()
	defer p.capMu.Unlock()
	p.users--
	if p.users == 0 && p.want {
		p.armIdle()
	}
}

// resume starts the capture of a project whose slot exists, so that changes
// committed while mobo was down reach channels that rejoin; unless a channel
// joins, it stops again after the grace period. Used at boot.
func (p *project) resume() {
	p.capMu.Lock()
	defer p.capMu.Unlock()
	if p.want {
		return
	}
	p.want = true
	p.started.Store(time.Now().UnixNano())
	p.signal()
	if p.users == 0 {
		p.armIdle()
	}
}

// armIdle schedules the capture's stop. The caller holds p.capMu.
func (p *project) armIdle() {
	if p.idle != nil || p.ctx.Err() != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(p.s.cfg.HoldWindow, func() {
		p.capMu.Lock()
		defer p.capMu.Unlock()
		if p.idle != t || p.users > 0 {
			return
		}
		p.idle, p.want = nil, false
		if p.capCancel != nil {
			p.capCancel()
		}
		p.s.log.Debug("change capture idle, stopping", "ref", p.ref)
	})
	p.idle = t
}

// signal wakes the capture goroutine. The caller holds p.capMu.
func (p *project) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// createSlot creates the project's slot if missing, on a short-lived
// connection.
func (p *project) createSlot(ctx context.Context) error {
	db, err := p.s.projects.Database(p.ref)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotLoaded, err)
	}
	conn, err := pgx.Connect(ctx, p.s.dbs.ConnString(db))
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", p.ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := p.replaceLostSlot(ctx, conn, SlotName(db)); err != nil {
		return err
	}
	return ensureSlot(ctx, conn, SlotName(db))
}

// runCapture runs the project's capture while it is wanted, until ctx ends.
func (p *project) runCapture(ctx context.Context) {
	for {
		p.capMu.Lock()
		for !p.want {
			p.capMu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
			p.capMu.Lock()
		}
		cctx, cancel := context.WithCancel(ctx)
		p.capCancel = cancel
		p.capMu.Unlock()
		p.captureLoop(cctx)
		p.capMu.Lock()
		p.capCancel = nil
		p.capMu.Unlock()
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}

// captureLoop decodes the project's slot until ctx ends, reconnecting with
// backoff after errors; decoding resumes from the slot's confirmed position.
func (p *project) captureLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for failures := 1; ; failures++ {
		start := time.Now()
		err := p.captureOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff, failures = 100*time.Millisecond, 1
		}
		// A project being created is not loaded yet for a moment: say so
		// only if it lasts.
		level := slog.LevelWarn
		if failures < 3 && errors.Is(err, errNotLoaded) {
			level = slog.LevelDebug
		}
		p.s.log.Log(ctx, level, "change capture interrupted", "ref", p.ref, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
			backoff = min(backoff*2, 30*time.Second)
		case <-p.retry: // PostgreSQL is back (Server.Reset): no reason to wait
			backoff, failures = 100*time.Millisecond, 1
		}
	}
}

func (p *project) captureOnce(ctx context.Context) error {
	db, err := p.s.projects.Database(p.ref)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotLoaded, err)
	}
	dsn := p.s.dbs.ConnString(db)
	meta, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", p.ref, err)
	}
	defer meta.Close(context.WithoutCancel(ctx))
	slot := SlotName(db)
	if err := p.replaceLostSlot(ctx, meta, slot); err != nil {
		return err
	}
	if err := ensureSlot(ctx, meta, slot); err != nil {
		return err
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["replication"] = "database"
	cfg.RuntimeParams["application_name"] = "mobo_realtime"
	repl, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("opening replication connection: %w", err)
	}
	defer func() { _ = repl.Close(context.WithoutCancel(ctx)) }()
	err = pglogrepl.StartReplication(ctx, repl, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + Publication + "," + messagesPublication + "'"},
	})
	if err != nil {
		return fmt.Errorf("starting replication from slot %s: %w", slot, err)
	}
	p.s.log.Debug("change capture started", "ref", p.ref, "slot", slot)
	p.setStreaming(true)
	defer p.setStreaming(false)
	// Changes older than the hold window before this run began (committed
	// while nobody subscribed) are confirmed but not sent: no channel would
	// be replayed them, and a new subscriber must not get a backlog.
	since := time.Unix(0, p.started.Load()).Add(-p.s.cfg.HoldWindow)
	c := &capture{p: p, repl: repl, meta: meta, rels: map[uint32]*relation{}, since: since}
	err = c.stream(ctx)
	if c.confirmed != 0 { // report the last position on the way out
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = pglogrepl.SendStandbyStatusUpdate(sctx, repl, pglogrepl.StandbyStatusUpdate{WALWritePosition: c.confirmed})
		cancel()
	}
	return err
}

// ensureSlot creates the slot if missing. Creating one waits for the
// transactions running in the cluster to end; changes that commit after it
// returns are decoded.
func ensureSlot(ctx context.Context, conn *pgx.Conn, slot string) error {
	if _, err := conn.Exec(ctx, `select pg_create_logical_replication_slot($1, 'pgoutput')
		where not exists (select from pg_replication_slots where slot_name = $1)`, slot); err != nil && !isDuplicate(err) {
		return fmt.Errorf("creating replication slot %s: %w", slot, err)
	}
	return nil
}

func isDuplicate(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42710"
}

// stopGrace bounds how long a stopping capture waits for the commit of a
// transaction whose changes it already published, so that it can confirm
// it rather than have them sent again after a restart.
const stopGrace = time.Second

// stream reads the replication stream until ctx ends. It never reads with a
// deadline: a read interrupted half way would lose a message. The position
// is reported after every transaction and whenever the server asks (its
// keepalives come at least every wal_sender_timeout/2). When ctx ends in a
// transaction, reading goes on for up to stopGrace: its commit is then
// confirmed, but a further change ends it unconfirmed (replayed later).
func (c *capture) stream(ctx context.Context) error {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var inTx atomic.Bool // c.inTx, for the AfterFunc
	stop := context.AfterFunc(ctx, func() {
		if !inTx.Load() {
			cancel()
			return
		}
		time.AfterFunc(stopGrace, cancel)
	})
	defer stop()
	for {
		inTx.Store(c.inTx)
		if ctx.Err() != nil && !c.inTx {
			return ctx.Err()
		}
		raw, err := c.repl.ReceiveMessage(rctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		switch m := raw.(type) {
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				k, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return err
				}
				advanced := false
				if !c.inTx && k.ServerWALEnd > c.confirmed {
					c.confirmed, advanced = k.ServerWALEnd, true
				}
				if k.ReplyRequested || advanced {
					if err := c.status(rctx); err != nil {
						return err
					}
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return err
				}
				committed, err := c.decode(ctx, x.WALData)
				if err != nil {
					return err
				}
				if committed {
					if err := c.status(rctx); err != nil {
						return err
					}
				}
			}
		}
	}
}

func (c *capture) status(ctx context.Context) error {
	if c.confirmed == 0 {
		return nil
	}
	return pglogrepl.SendStandbyStatusUpdate(ctx, c.repl, pglogrepl.StandbyStatusUpdate{WALWritePosition: c.confirmed})
}

// decode handles one pgoutput message. Changes are published on the bus as
// they are decoded; the transaction's end is confirmed once all of them were
// delivered, so a crash replays it whole (at least once).
func (c *capture) decode(ctx context.Context, data []byte) (committed bool, err error) {
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return false, fmt.Errorf("decoding pgoutput: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		return false, c.relation(ctx, m)
	case *pglogrepl.BeginMessage:
		c.inTx, c.commit, c.xid = true, m.CommitTime, m.Xid
		c.seen = uint64(m.FinalLSN) <= c.p.published.Load()
	case *pglogrepl.CommitMessage:
		c.inTx = false
		c.confirmed = m.TransactionEndLSN
		if !c.seen {
			c.p.published.Store(uint64(m.CommitLSN))
		}
		return true, nil
	case *pglogrepl.InsertMessage:
		r := c.rels[m.RelationID]
		if r == nil {
			return false, fmt.Errorf("insert into unknown relation %d", m.RelationID)
		}
		if r.messages {
			return false, c.message(ctx, r, m.Tuple)
		}
		return false, c.publish(ctx, &Change{Schema: r.schema, Table: r.table, Type: EventInsert, Columns: r.columns, Record: values(r, m.Tuple, false)})
	case *pglogrepl.UpdateMessage:
		r := c.rels[m.RelationID]
		if r == nil || r.messages {
			return false, nil
		}
		ch := &Change{Schema: r.schema, Table: r.table, Type: EventUpdate, Columns: r.columns, Record: values(r, m.NewTuple, false)}
		if m.OldTuple != nil {
			ch.OldRecord = values(r, m.OldTuple, m.OldTupleType == pglogrepl.UpdateMessageTupleTypeKey)
		} else { // the key did not change: old_record carries it, as Supabase's
			ch.OldRecord = values(r, m.NewTuple, true)
		}
		return false, c.publish(ctx, ch)
	case *pglogrepl.DeleteMessage:
		r := c.rels[m.RelationID]
		if r == nil || r.messages {
			return false, nil
		}
		old := values(r, m.OldTuple, m.OldTupleType == pglogrepl.DeleteMessageTupleTypeKey)
		return false, c.publish(ctx, &Change{Schema: r.schema, Table: r.table, Type: EventDelete, Columns: r.columns, OldRecord: old, rls: r.rls})
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			if r := c.rels[id]; r != nil && !r.messages {
				if err := c.publish(ctx, &Change{Schema: r.schema, Table: r.table, Type: EventTruncate, Columns: r.columns}); err != nil {
					return false, err
				}
			}
		}
	}
	return false, nil
}

// relation records a table's shape, with its column types' names.
func (c *capture) relation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	r := &relation{schema: m.Namespace, table: m.RelationName, messages: m.Namespace == "realtime" && m.RelationName == "messages"}
	oids := make([]uint32, len(m.Columns))
	for i, col := range m.Columns {
		oids[i] = col.DataType
	}
	names := map[uint32][2]string{}
	rows, err := c.meta.Query(ctx, `select t.oid, t.typname, n.nspname from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.oid = any($1)`, oids)
	if err != nil {
		return fmt.Errorf("looking up column types: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var name, schema string
		if err := rows.Scan(&oid, &name, &schema); err != nil {
			rows.Close()
			return err
		}
		names[oid] = [2]string{name, schema}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The primary key, which a select always keeps and the visibility
	// check prefers to the replica identity (all columns when FULL).
	rows, err = c.meta.Query(ctx, `select a.attname::text from pg_index i
		join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
		where i.indrelid = $1::oid and i.indisprimary`, m.RelationID)
	if err != nil {
		return fmt.Errorf("looking up the primary key: %w", err)
	}
	pk, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("looking up the primary key: %w", err)
	}
	// A change of relrowsecurity invalidates the relation: pgoutput sends
	// it again before the next change.
	if err := c.meta.QueryRow(ctx, "select relrowsecurity from pg_class where oid = $1::oid", m.RelationID).Scan(&r.rls); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("looking up row level security: %w", err)
	}
	for _, col := range m.Columns {
		n := names[col.DataType]
		r.columns = append(r.columns, Column{
			Name: col.Name, Type: n[0], Key: col.Flags&1 == 1, pk: slices.Contains(pk, col.Name),
			oid: col.DataType, typeIdent: pgx.Identifier{n[1], n[0]}.Sanitize(),
		})
	}
	c.rels[m.RelationID] = r
	return nil
}

// values turns a tuple into text values; keyOnly keeps the key columns (a
// replica identity key tuple carries nulls for the others).
func values(r *relation, t *pglogrepl.TupleData, keyOnly bool) []Value {
	if t == nil {
		return nil
	}
	out := make([]Value, 0, len(t.Columns))
	for i, col := range t.Columns {
		if i >= len(r.columns) {
			break
		}
		if keyOnly && !r.columns[i].Key {
			out = append(out, Value{Name: r.columns[i].Name, Unchanged: true})
			continue
		}
		v := Value{Name: r.columns[i].Name}
		switch col.DataType {
		case 'n':
			v.Null = true
		case 'u':
			v.Unchanged = true
		default:
			v.Text = string(col.Data)
		}
		out = append(out, v)
	}
	return out
}

func (c *capture) publish(ctx context.Context, ch *Change) error {
	if c.stale() {
		return nil
	}
	if err := ctx.Err(); err != nil { // stopping: leave it unconfirmed
		return err
	}
	ch.Ref, ch.Commit, ch.xid = c.p.ref, c.commit, c.xid
	ch.encode()
	topic := "realtime." + c.p.ref + ".changes." + busToken(ch.Schema) + "." + busToken(ch.Table) + "." + ch.Type
	return c.p.s.bus.Publish(ctx, topic, ch)
}

// message turns an insert into realtime.messages into a broadcast.
func (c *capture) message(ctx context.Context, r *relation, t *pglogrepl.TupleData) error {
	if c.stale() {
		return nil
	}
	if err := ctx.Err(); err != nil { // stopping: leave it unconfirmed
		return err
	}
	vals := values(r, t, false)
	topic, _ := lookup(vals, "topic")
	ext, _ := lookup(vals, "extension")
	if ext != "" && ext != "broadcast" {
		return nil
	}
	b := &Broadcast{Topic: topic, Private: true}
	b.Event, _ = lookup(vals, "event")
	if priv, ok := lookup(vals, "private"); ok {
		b.Private = priv == "t"
	}
	if id, ok := lookup(vals, "id"); ok {
		b.id, b.Meta = id, mustJSON(map[string]string{"id": id})
	}
	if bin, ok := lookup(vals, "binary_payload"); ok {
		raw, err := hex.DecodeString(strings.TrimPrefix(bin, `\x`))
		if err != nil {
			return fmt.Errorf("decoding a binary broadcast: %w", err)
		}
		b.Payload, b.Binary = raw, true
	} else if payload, ok := lookup(vals, "payload"); ok && json.Valid([]byte(payload)) {
		b.Payload = []byte(payload)
	} else {
		b.Payload = []byte("{}")
	}
	return c.p.s.publishCommitted(ctx, c.p.ref, b)
}

// busToken makes a name usable as one bus subject token.
func busToken(s string) string {
	if s != "" && !strings.ContainsAny(s, ". \t\r\n\f*>%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '.', ' ', '\t', '\r', '\n', '\f', '*', '>', '%':
			fmt.Fprintf(&b, "%%%02X", ch)
		default:
			b.WriteByte(ch)
		}
	}
	if b.Len() == 0 {
		return "%"
	}
	return b.String()
}
