package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflock/mobo/internal/gate"
)

// A join (phx_join) goes through these steps, each refusing with Supabase
// Realtime's reply reason (a [joinRefusal]):
//
//  1. the principal: the socket's, or the join's access_token;
//  2. the channel, replacing a rejoined one, within MaxChannels;
//  3. its postgres_changes bindings: the gate's decision on each table, then
//     PostgreSQL's catalog (published, granted columns, filter values), read
//     on one connection taken within the project's fair share;
//  4. the gate's decision on the channel, a private topic's policies on
//     realtime.messages, and replayed broadcasts;
//  5. the capture, then the reply and what follows it (presence state,
//     replays, replication_ready), in order, once the channel is added.

// joinRefusal is a refused join; its text is the reply's reason.
type joinRefusal string

func (r joinRefusal) Error() string { return string(r) }

type changesBinding struct {
	Event  string          `json:"event"`
	Schema string          `json:"schema"`
	Table  string          `json:"table"`
	Filter string          `json:"filter"`
	Select json.RawMessage `json:"select"`
}

type joinConfig struct {
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
	PostgresChanges []changesBinding `json:"postgres_changes"`
	Private         bool             `json:"private"`
}

type joinPayload struct {
	Config      joinConfig `json:"config"`
	AccessToken string     `json:"access_token"`
}

// serverBinding is a binding as the join's reply lists it.
type serverBinding struct {
	ID     uint32          `json:"id"`
	Event  string          `json:"event"`
	Schema string          `json:"schema"`
	Table  string          `json:"table,omitempty"`
	Filter string          `json:"filter,omitempty"`
	Select json.RawMessage `json:"select,omitempty"`
}

func (sk *socket) join(ctx context.Context, m *inMsg) {
	if err := sk.joinChannel(ctx, m); err != nil {
		var r joinRefusal
		if !errors.As(err, &r) {
			sk.s.log.Warn("realtime join", "ref", sk.ref, "err", err)
			r = "project unavailable"
		}
		sk.replyError(m, string(r))
	}
}

func (sk *socket) joinChannel(ctx context.Context, m *inMsg) error {
	var jp joinPayload
	if len(m.Payload) > 0 && string(m.Payload) != "null" {
		if err := json.Unmarshal(m.Payload, &jp); err != nil {
			return joinRefusal("invalid join payload")
		}
	}
	pr, err := sk.joinPrincipal(ctx, jp.AccessToken)
	if err != nil {
		return err
	}
	ch, err := sk.newChannel(ctx, m, &jp.Config)
	if err != nil {
		return err
	}
	bindings, err := sk.bindChanges(ctx, ch, pr, jp.Config.PostgresChanges)
	if err != nil {
		return err
	}
	v, replay, err := sk.authorizeChannel(ctx, ch, pr, &jp)
	if err != nil {
		return err
	}
	return sk.openChannel(ctx, m, ch, v, &jp.Config, bindings, replay)
}

// joinPrincipal is the socket's principal, or the join's access token's.
func (sk *socket) joinPrincipal(ctx context.Context, token string) (*gate.Principal, error) {
	if token == "" {
		return sk.pr, nil
	}
	pr, err := sk.s.gate.Authenticate(ctx, sk.ref, gate.Credentials{APIKey: sk.apiKey, Bearer: token})
	if err != nil {
		return nil, joinRefusal(tokenError(err))
	}
	return pr, nil
}

// newChannel makes the joined channel, after leaving the one it replaces.
func (sk *socket) newChannel(ctx context.Context, m *inMsg, cfg *joinConfig) (*channel, error) {
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
		return nil, joinRefusal("too many channels")
	}
	ch := &channel{
		sock: sk, topic: m.Topic, sub: strings.TrimPrefix(m.Topic, topicPrefix), joinRef: m.JoinRef,
		self: cfg.Broadcast.Self, ack: cfg.Broadcast.Ack, private: cfg.Private, canWrite: true, presenceKey: cfg.Presence.Key,
	}
	if ch.presenceKey == "" {
		ch.presenceKey = newPhxRef()
	}
	return ch, nil
}

// bindChanges checks and adds ch's postgres_changes bindings, reading the
// catalog on one connection taken within the project's fair share.
func (sk *socket) bindChanges(ctx context.Context, ch *channel, pr *gate.Principal, list []changesBinding) ([]serverBinding, error) {
	bindings := []serverBinding{}
	if len(list) == 0 {
		return bindings, nil
	}
	err := sk.s.gate.ReadCatalog(ctx, sk.ref, func(conn *pgx.Conn) error {
		for _, b := range list {
			pb, err := sk.bind(ctx, conn, pr, b)
			if err != nil {
				return err
			}
			ch.pg = append(ch.pg, pb)
			bindings = append(bindings, serverBinding{ID: pb.id, Event: b.Event, Schema: b.Schema, Table: b.Table, Filter: b.Filter, Select: b.Select})
		}
		return nil
	})
	return bindings, err
}

// bind checks one binding: its shape, the gate's decision on its table,
// then the catalog (published, its columns the principal's to select, the
// filter's values its columns' types).
func (sk *socket) bind(ctx context.Context, conn *pgx.Conn, pr *gate.Principal, b changesBinding) (pgBinding, error) {
	sel, f, err := parseBinding(b)
	if err != nil {
		return pgBinding{}, err
	}
	params := fmt.Sprintf("event: %s, schema: %s, table: %s, filters: [%s]", b.Event, b.Schema, b.Table, b.Filter)
	if sel != nil {
		params += ", select: [" + strings.Join(sel.list, ", ") + "]"
	}
	unable := joinRefusal("Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [" + params + "]")
	exception := func(what string) error {
		return joinRefusal("Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [" + params + "]. Exception: " + what)
	}
	// The gate first: a table outside a key's scopes is refused as one
	// that is not published, telling nothing of it.
	d, err := sk.s.gate.Authorize(ctx, sk.ref, pr, changesAction(b.Schema, b.Table))
	if err != nil || checkBinding(ctx, conn, pr.Role, b.Schema, b.Table) != nil {
		if err != nil && !gate.IsForbidden(err) {
			sk.s.log.Warn("authorizing a postgres_changes binding", "ref", sk.ref, "err", err)
		}
		return pgBinding{}, unable
	}
	// The filter's values reach PostgreSQL (checkValues): the sentinel
	// looks at them first.
	if err := d.Inspect(ctx, f.values()...); err != nil {
		return pgBinding{}, unable
	}
	named := b.Table != "" && b.Table != "*" && b.Schema != "*"
	if named {
		if err := sk.checkNamed(ctx, conn, pr, b, sel, f, exception); err != nil {
			return pgBinding{}, err
		}
		if pr.Role != roleService {
			allowed, err := grantedColumns(ctx, conn, pr.Role, b.Schema, b.Table)
			if err != nil {
				sk.s.log.Warn("reading a postgres_changes table's column grants", "ref", sk.ref, "err", err)
				return pgBinding{}, unable
			}
			sel = sel.limitTo(allowed)
		}
	}
	id := crc32.ChecksumIEEE([]byte(b.Event + "\x00" + b.Schema + "\x00" + b.Table + "\x00" + b.Filter + "\x00" + sel.groupKey()))
	return pgBinding{id: id, event: b.Event, schema: b.Schema, table: b.Table, filter: b.Filter, f: f, sel: sel}, nil
}

// parseBinding checks a binding's event and schema and parses its select
// and filter.
func parseBinding(b changesBinding) (*selection, *filter, error) {
	switch strings.ToUpper(b.Event) {
	case "*", EventInsert, EventUpdate, EventDelete:
	default:
		return nil, nil, joinRefusal(fmt.Sprintf("invalid postgres_changes event %q", b.Event))
	}
	if b.Schema == "" {
		return nil, nil, joinRefusal("postgres_changes needs a schema")
	}
	sel, err := parseSelect(b.Select)
	if err != nil {
		return nil, nil, joinRefusal(err.Error())
	}
	f, err := parseFilter(b.Filter)
	if err != nil {
		return nil, nil, joinRefusal(err.Error())
	}
	if sel != nil && (b.Schema == "*" || b.Table == "" || b.Table == "*") {
		return nil, nil, joinRefusal(errSelectWildcard.Error())
	}
	return sel, f, nil
}

// checkNamed checks a binding on a named table as Supabase does when it
// stores the subscription: the columns named must exist and be the
// principal's to select (a table wildcard is checked change by change),
// and the filter's values must be of their columns' types.
func (sk *socket) checkNamed(ctx context.Context, conn *pgx.Conn, pr *gate.Principal, b changesBinding, sel *selection, f *filter, exception func(string) error) error {
	for _, cols := range []struct {
		what string
		list []string
	}{{"filter", f.columns()}, {"select", sel.columnList()}} {
		if len(cols.list) == 0 {
			continue
		}
		bad, ok, err := checkColumns(ctx, conn, pr.Role, b.Schema, b.Table, cols.list)
		if err != nil {
			sk.s.log.Warn("checking a postgres_changes binding's columns", "ref", sk.ref, "err", err)
		}
		if !ok {
			return exception("invalid column for " + cols.what + " " + bad)
		}
	}
	if f == nil {
		return nil
	}
	problem, err := checkValues(ctx, conn, b.Schema, b.Table, f)
	if err != nil {
		sk.s.log.Warn("checking a postgres_changes filter's values", "ref", sk.ref, "err", err)
	}
	if problem != "" {
		return exception(problem)
	}
	return nil
}

// authorizeChannel asks the gate for the channel's decision and, on a
// private topic, realtime.messages' policies; it reads the broadcasts to
// replay.
func (sk *socket) authorizeChannel(ctx context.Context, ch *channel, pr *gate.Principal, jp *joinPayload) (*viewer, []frame, error) {
	denied := joinRefusal("Unauthorized: You do not have permissions to read from this Channel topic: " + ch.sub)
	v, err := sk.s.decide(ctx, sk.ref, ch, pr, jp.AccessToken)
	if err != nil {
		if !gate.IsForbidden(err) {
			sk.s.log.Warn("authorizing a channel", "ref", sk.ref, "err", err)
		}
		return nil, nil, denied
	}
	ch.viewer.Store(v)
	if !ch.private {
		return v, nil, nil
	}
	read, write, err := authorizePrivate(ctx, v.d, ch.sub)
	if err != nil {
		sk.s.log.Warn("authorising a private channel", "ref", sk.ref, "err", err)
		return nil, nil, denied
	}
	if !read {
		return nil, nil, denied
	}
	ch.canWrite = write
	var replay []frame
	if r := jp.Config.Broadcast.Replay; r != nil {
		if replay, ch.replayed, err = replayBroadcasts(ctx, ch, v.d, r.Since, r.Limit); err != nil {
			sk.s.log.Warn("replaying broadcasts", "ref", sk.ref, "err", err)
		}
	}
	return v, replay, nil
}

// openChannel starts the capture the channel needs, adds it, and replies.
// Any channel needs the capture: postgres_changes for its changes,
// broadcast for realtime.send. The first join creates the slot before the
// reply, so that changes committed after it are delivered.
func (sk *socket) openChannel(ctx context.Context, m *inMsg, ch *channel, v *viewer, cfg *joinConfig, bindings []serverBinding, replay []frame) error {
	if err := sk.p.acquire(ctx); err == nil {
		ch.acquired = true
	} else {
		sk.s.log.Warn("starting realtime change capture", "ref", sk.ref, "err", err)
		if len(ch.pg) > 0 {
			return joinRefusal("realtime change capture is unavailable for this project")
		}
	}
	sk.mu.Lock()
	sk.channels[m.Topic] = ch
	sk.mu.Unlock()
	sk.p.add(ch, func() { sk.joined(m, ch, v, cfg, bindings, replay) })
	return nil
}

// joined sends the join's reply and what follows it, in order.
func (sk *socket) joined(m *inMsg, ch *channel, v *viewer, cfg *joinConfig, bindings []serverBinding, replay []frame) {
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
}

// checkBinding verifies that a postgres_changes subscription names published
// tables the principal may select.
func checkBinding(ctx context.Context, conn *pgx.Conn, role, schema, table string) error {
	var ok bool
	err := conn.QueryRow(ctx, `select exists (
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
func checkColumns(ctx context.Context, conn *pgx.Conn, role, schema, table string, cols []string) (bad string, ok bool, err error) {
	err = conn.QueryRow(ctx, `select c from unnest($1::text[]) c
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
func grantedColumns(ctx context.Context, conn *pgx.Conn, role, schema, table string) ([]string, error) {
	var allowed []string
	var all int
	err := conn.QueryRow(ctx, `select coalesce(array_agg(a.attname::text order by a.attnum)
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
func checkValues(ctx context.Context, conn *pgx.Conn, schema, table string, f *filter) (problem string, err error) {
	rows, err := conn.Query(ctx, `select a.attname::text, a.atttypid from pg_attribute a
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
	_, err = conn.PgConn().ExecParams(ctx, sql.String(), values, oids, nil, nil).Close()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message, nil
	}
	return "", err
}
