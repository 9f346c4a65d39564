package realtime

import (
	"encoding/json"
	"strconv"
	"time"
)

// Event types of a row change, as Supabase Realtime names them.
const (
	EventInsert   = "INSERT"
	EventUpdate   = "UPDATE"
	EventDelete   = "DELETE"
	EventTruncate = "TRUNCATE"
)

// Change is one decoded row change, published on the bus under
// realtime.<ref>.changes.<schema>.<table>.<event>. It is shared by every
// subscriber and must not be modified once published.
type Change struct {
	Ref       string
	Schema    string
	Table     string
	Type      string // INSERT, UPDATE, DELETE, TRUNCATE
	Commit    time.Time
	Columns   []Column
	Record    []Value // new values (INSERT, UPDATE)
	OldRecord []Value // old values (UPDATE with replica identity full or key change, DELETE)
	// Data is the postgres_changes "data" object, encoded once.
	Data json.RawMessage
	// seq orders changes within a project for the hold window.
	seq uint64
	// xid is the committing transaction's id (32 bits, as pgoutput gives it).
	xid uint32
	// rls: the table has row level security. A delete cannot be checked
	// against it (the row is gone), so its old_record keeps only the
	// primary key, as in Supabase Realtime.
	rls bool
}

// Column is a column of a changed table.
type Column struct {
	Name      string `json:"name"`
	Type      string `json:"type"` // pg_type.typname: int8, text, _int4, timestamptz
	Key       bool   `json:"-"`    // part of the replica identity (usually the primary key)
	pk        bool   // part of the primary key
	oid       uint32
	typeIdent string // the quoted, schema-qualified type name for casts
}

// Value is a column value in text form, as logical decoding gives it.
type Value struct {
	Name      string
	Text      string
	Null      bool
	Unchanged bool // an unchanged TOASTed value, not sent by PostgreSQL
}

// value returns v's text, or ok=false when absent or null.
func lookup(vals []Value, name string) (string, bool) {
	for _, v := range vals {
		if v.Name == name {
			if v.Null || v.Unchanged {
				return "", false
			}
			return v.Text, true
		}
	}
	return "", false
}

// encode fills c.Data, the payload every binding without a select gets.
func (c *Change) encode() { c.Data = c.encodeData(nil) }

// encodeData encodes the postgres_changes "data" object {schema, table,
// commit_timestamp, eventType, type, columns, record, old_record, errors}
// with the columns sel keeps (nil: all).
func (c *Change) encodeData(sel *selection) json.RawMessage {
	keyOnly := c.Type == EventDelete && c.rls
	rec := func(vals []Value) json.RawMessage {
		b := []byte{'{'}
		n := 0
		for i, v := range vals {
			if v.Unchanged || !sel.keeps(c.Columns[i]) || (keyOnly && !c.Columns[i].pk) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b, _ = appendJSONString(b, v.Name)
			b = append(b, ':')
			b = appendValue(b, v, c.Columns[i].oid)
		}
		return append(b, '}')
	}
	d := struct {
		Schema          string          `json:"schema"`
		Table           string          `json:"table"`
		CommitTimestamp string          `json:"commit_timestamp"`
		EventType       string          `json:"eventType"`
		Type            string          `json:"type"`
		Columns         []Column        `json:"columns"`
		Record          json.RawMessage `json:"record,omitempty"`
		OldRecord       json.RawMessage `json:"old_record,omitempty"`
		Errors          []string        `json:"errors"`
	}{
		Schema: c.Schema, Table: c.Table, CommitTimestamp: c.Commit.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventType: c.Type, Type: c.Type, Columns: []Column{},
	}
	for _, col := range c.Columns {
		if sel.keeps(col) {
			d.Columns = append(d.Columns, col)
		}
	}
	if c.Type == EventInsert || c.Type == EventUpdate {
		d.Record = rec(c.Record)
	}
	if c.Type == EventUpdate || c.Type == EventDelete {
		old := c.OldRecord
		if old == nil {
			old = []Value{}
		}
		d.OldRecord = rec(old)
	}
	return mustJSON(d)
}

// PostgreSQL type OIDs that JSON represents natively.
const (
	oidBool    = 16
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidOID     = 26
	oidJSON    = 114
	oidFloat4  = 700
	oidFloat8  = 701
	oidNumeric = 1700
	oidJSONB   = 3802
)

// appendValue encodes a text-form value: numbers and booleans natively, json
// as is, everything else as a string (realtime-js converts by column type).
func appendValue(b []byte, v Value, oid uint32) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	switch oid {
	case oidBool:
		if v.Text == "t" {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case oidInt2, oidInt4, oidInt8, oidOID:
		if _, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
			return append(b, v.Text...)
		}
	case oidFloat4, oidFloat8, oidNumeric:
		if f, err := strconv.ParseFloat(v.Text, 64); err == nil && json.Valid([]byte(v.Text)) {
			_ = f
			return append(b, v.Text...)
		}
	case oidJSON, oidJSONB:
		if json.Valid([]byte(v.Text)) {
			return append(b, v.Text...)
		}
	}
	b, _ = appendJSONString(b, v.Text)
	return b
}

func appendJSONString(b []byte, s string) ([]byte, error) {
	q, err := json.Marshal(s)
	return append(b, q...), err
}
