package realtime

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/gate"
)

// visibleWait bounds the wait for a decoded transaction to become visible
// to other sessions: the walsender may send a commit a moment before the
// committing backend has left the proc array.
const visibleWait = 5 * time.Second

// groupKey identifies a check query: the viewer, the table and its key
// columns.
type groupKey struct {
	viewer, schema, table, keyCols string
}

// checkGroup is the rows of one table to check for one viewer.
type checkGroup struct {
	d       *gate.Decision // a viewer's decision (the group's role and claims)
	schema  string
	table   string
	keys    []Column   // the key columns
	rows    [][]string // distinct key values, column by column per row
	seenRow map[string]bool
	seen    map[string]bool // after the check: the keys the viewer sees
	// whole: the viewer may select the whole table. When it may not
	// (column-level grants), only bindings that name the table, whose
	// payloads are limited to the granted columns, receive its changes.
	whole bool
}

// authorize decides, per change and target, whether the target's principal
// may select the changed row. It runs one query per (role, claims, table)
// for the whole batch: the rows' distinct keys against the table under that
// role. Deletes and truncates carry no row to check and are delivered, as in
// Supabase; service_role bypasses RLS.
func (p *project) authorize(ctx context.Context, work []pending) {
	index := map[groupKey]int32{}
	var groups []*checkGroup
	var xids []int64
	seenXID := map[uint32]bool{}
	for wi := range work {
		w := &work[wi]
		c := w.c
		if c.Type != EventInsert && c.Type != EventUpdate {
			for i := range w.visible {
				w.visible[i] = true
			}
			continue
		}
		keys, vals := keyOf(c)
		var keyCols string
		if len(keys) > 0 {
			w.rowKey = strings.Join(vals, "\x00")
			var sig strings.Builder
			for _, k := range keys {
				sig.WriteString(k.Name + "\x00" + k.typeIdent + "\x00")
			}
			keyCols = sig.String()
		}
		w.group = p.scratch.int32s(len(w.targets))
		var last *viewer // the run of targets with one viewer: no lookup
		lastGroup := int32(-1)
		for i, t := range w.targets {
			w.group[i] = -1
			if t.v.principal().Role == roleService {
				w.visible[i] = true
				continue
			}
			if len(keys) == 0 {
				continue // nothing to check against: not delivered
			}
			if t.v == last {
				w.group[i] = lastGroup
				continue
			}
			gk := groupKey{t.v.key, c.Schema, c.Table, keyCols}
			gi, ok := index[gk]
			if !ok {
				gi = int32(len(groups)) //nolint:gosec // fewer groups than targets
				index[gk] = gi
				groups = append(groups, &checkGroup{d: t.v.d, schema: c.Schema, table: c.Table, keys: keys, seenRow: map[string]bool{}})
			}
			if g := groups[gi]; !g.seenRow[w.rowKey] {
				g.seenRow[w.rowKey] = true
				g.rows = append(g.rows, vals)
			}
			w.group[i], last, lastGroup = gi, t.v, gi
			if !seenXID[c.xid] {
				seenXID[c.xid] = true
				xids = append(xids, int64(c.xid))
			}
		}
	}
	if len(groups) == 0 {
		return
	}
	pool, err := p.s.projects.Pool(ctx, p.ref)
	if err != nil {
		p.s.log.Warn("checking row visibility", "ref", p.ref, "err", err)
		return
	}
	for _, g := range groups {
		if g.seen, err = p.check(ctx, pool, g, xids); err != nil {
			p.s.log.Warn("row visibility check failed", "ref", p.ref, "role", g.d.Principal().Role, "table", g.schema+"."+g.table, "err", err)
		}
	}
	for wi := range work {
		w := &work[wi]
		for i, gi := range w.group {
			if gi >= 0 && groups[gi].seen[w.rowKey] && (groups[gi].whole || grantLimited(w.targets[i].sels)) {
				w.visible[i] = true
			}
		}
	}
}

// grantLimited reports whether every matched binding's payload is limited
// to the viewer's granted columns (it named the table, see limitTo).
func grantLimited(sels []*selection) bool {
	if len(sels) == 0 {
		return false
	}
	for _, s := range sels {
		if s == nil || s.allowed == nil {
			return false
		}
	}
	return true
}

// keyOf returns the key columns of c's new record and their text values:
// the primary key's, else the replica identity's.
func keyOf(c *Change) ([]Column, []string) {
	var cols []Column
	var vals []string
	hasPK := slices.ContainsFunc(c.Columns, func(col Column) bool { return col.pk })
	for i, col := range c.Columns {
		if (hasPK && !col.pk) || (!hasPK && !col.Key) || i >= len(c.Record) {
			continue
		}
		v := c.Record[i]
		if v.Null || v.Unchanged {
			return nil, nil
		}
		cols = append(cols, col)
		vals = append(vals, v.Text)
	}
	return cols, vals
}

// xidsVisible says whether every transaction (32-bit ids, as pgoutput gives
// them) is visible in the statement's snapshot; 64-bit ids are rebuilt from
// the snapshot's epoch. In the same statement: whether the current role may
// select the whole table $2.$3.
const xidsVisible = `select coalesce(bool_and(pg_visible_in_snapshot((
	case when ((m >> 32) << 32 | x) > m and m >= 4294967296 then ((m >> 32) << 32 | x) - 4294967296
	else ((m >> 32) << 32 | x) end)::text::xid8, pg_current_snapshot())), true),
	has_table_privilege(format('%I.%I', $2::text, $3::text), 'SELECT')
from unnest($1::int8[]) x, (select pg_snapshot_xmax(pg_current_snapshot())::text::int8 m) s`

// check runs one group's query in a repeatable-read transaction as its
// principal, so that the visibility of the batch's transactions and the
// rows are read in one snapshot; it retries while a transaction is not yet
// visible. It returns the keys the principal sees.
func (p *project) check(ctx context.Context, pool *pgxpool.Pool, g *checkGroup, xids []int64) (map[string]bool, error) {
	cols := make([]string, len(g.keys))
	outs := make([]string, len(g.keys))
	unnest := make([]string, len(g.keys))
	args := make([]any, len(g.keys))
	for i, k := range g.keys {
		cols[i] = pgx.Identifier{k.Name}.Sanitize()
		outs[i] = cols[i] + "::text"
		unnest[i] = "$" + strconv.Itoa(i+1) + "::text[]::" + k.typeIdent + "[]"
		vals := make([]string, len(g.rows))
		for j, row := range g.rows {
			vals[j] = row[i]
		}
		args[i] = vals
	}
	query := "select " + strings.Join(outs, ", ") + " from " + pgx.Identifier{g.schema, g.table}.Sanitize() +
		" where (" + strings.Join(cols, ", ") + ") in (select * from unnest(" + strings.Join(unnest, ", ") + "))"
	deadline := time.Now().Add(visibleWait)
	for {
		seen := map[string]bool{}
		var committed bool
		b := &pgx.Batch{}
		b.Queue("begin isolation level repeatable read read only")
		g.d.QueueSetup(b, gate.Settings{})
		b.Queue(xidsVisible, xids, g.schema, g.table).QueryRow(func(row pgx.Row) error { return row.Scan(&committed, &g.whole) })
		b.Queue(query, args...).Query(func(rows pgx.Rows) error {
			vals := make([]string, len(g.keys))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
				seen[strings.Join(vals, "\x00")] = true
			}
			return rows.Err()
		})
		b.Queue("rollback")
		if err := pool.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		if committed || time.Now().After(deadline) {
			return seen, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}
