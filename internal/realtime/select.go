package realtime

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// selection is the "select" of a postgres_changes binding, as Supabase
// Realtime takes it: the columns the change payload carries (its columns,
// record and old_record), the primary key's always among them. A nil
// selection keeps every column; an empty one only the primary key. It is
// also how column-level grants apply: allowed, when set, are the only
// columns the subscriber's role may select, and no other column is carried,
// the primary key's included.
type selection struct {
	cols    map[string]bool // nil: every column (a selection by grants alone)
	allowed map[string]bool // nil: no column-level limit
	// key identifies the selection among a channel's bindings: bindings
	// matched by one change share a message when their keys are equal.
	key  string
	list []string // sorted, for the join reply and errors
}

// joinError is a join refusal whose text is the reply's reason, worded as
// Supabase Realtime's.
type joinError string

func (e joinError) Error() string { return string(e) }

// Refusals of a select.
const (
	errSelectNotList  joinError = "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]"
	errSelectWildcard joinError = "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name."
)

// maxSelect bounds the columns of a select (PostgreSQL's own column limit).
const maxSelect = 1600

// parseSelect parses a binding's "select": absent or null selects every
// column; otherwise it must be a list of column names.
func parseSelect(raw json.RawMessage) (*selection, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, errSelectNotList
	}
	if len(items) > maxSelect {
		return nil, errSelectNotList
	}
	s := &selection{cols: make(map[string]bool, len(items))}
	for _, it := range items {
		var name string
		if err := json.Unmarshal(it, &name); err != nil || string(it) == "null" {
			return nil, errSelectNotList
		}
		if !s.cols[name] {
			s.cols[name] = true
			s.list = append(s.list, name)
		}
	}
	slices.Sort(s.list)
	s.key = "select:" + strings.Join(s.list, "\x00")
	return s, nil
}

// keeps reports whether the payload carries col.
func (s *selection) keeps(col Column) bool {
	if s == nil {
		return true
	}
	if s.allowed != nil && !s.allowed[col.Name] {
		return false
	}
	return s.cols == nil || col.pk || s.cols[col.Name]
}

// limitTo returns s limited to the allowed columns (a role's column-level
// grants); nil allowed leaves s as it is.
func (s *selection) limitTo(allowed []string) *selection {
	if allowed == nil {
		return s
	}
	out := &selection{allowed: make(map[string]bool, len(allowed))}
	if s != nil {
		out.cols, out.list, out.key = s.cols, s.list, s.key
	}
	for _, c := range allowed {
		out.allowed[c] = true
	}
	sorted := slices.Sorted(maps.Keys(out.allowed))
	out.key += "\x01grants:" + strings.Join(sorted, "\x00")
	return out
}

// columnList is the selected columns; nil for every column.
func (s *selection) columnList() []string {
	if s == nil {
		return nil
	}
	return s.list
}

// groupKey is the selection's key; "" for every column.
func (s *selection) groupKey() string {
	if s == nil {
		return ""
	}
	return s.key
}
