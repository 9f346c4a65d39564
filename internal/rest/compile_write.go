package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/magflock/mobo/internal/sqlb"
)

// payload is a parsed request body: its raw JSON array and the keys of its
// objects.
type payload struct {
	raw  []byte // always a JSON array of objects
	keys []string
	rows int
	// single is true when the body was one object.
	single bool
	first  map[string]json.RawMessage
	// mismatch is an array whose objects have different keys: only
	// columns= can say what to write then.
	mismatch bool
}

// keysMismatchError is PostgREST's refusal of an array whose objects have
// different keys, without columns=.
func keysMismatchError() *Error { return bodyError("All object keys must match") }

// parsePayload reads a JSON body: one object or an array of objects.
func parsePayload(body []byte) (*payload, error) {
	body = bytes.TrimSpace(body)
	p := &payload{}
	switch {
	case len(body) > 0 && body[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, invalidBodyError("")
		}
		p.single, p.rows, p.first, p.keys = true, 1, obj, slices.Collect(maps.Keys(obj))
		p.raw = append(append([]byte{'['}, body...), ']')
	case len(body) > 0 && body[0] == '[':
		var arr []map[string]json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil {
			return nil, invalidBodyError("")
		}
		p.rows, p.raw = len(arr), body
		if len(arr) > 0 {
			p.first, p.keys = arr[0], slices.Collect(maps.Keys(arr[0]))
		}
		p.mismatch = slices.ContainsFunc(arr, func(obj map[string]json.RawMessage) bool { return !sameKeys(obj, p.first) })
	default:
		return nil, invalidBodyError("")
	}
	slices.Sort(p.keys)
	return p, nil
}

func sameKeys(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// targetColumns are the columns written: columns= when given, else the
// payload's keys, in table order.
func (c *compiler) targetColumns(rel *Relation, p *payload) ([]*Column, error) {
	keys := p.keys
	switch {
	case c.req.Query.Columns != nil:
		keys = c.req.Query.Columns
	case p.mismatch:
		return nil, keysMismatchError()
	}
	var cols []*Column
	for _, k := range keys {
		col := rel.Column(k)
		if col == nil {
			return nil, noPayloadColumnError(rel, k)
		}
		if !slices.Contains(cols, col) {
			cols = append(cols, col)
		}
	}
	slices.SortFunc(cols, func(a, b *Column) int { return a.Position - b.Position })
	return cols, nil
}

// insertSource is the SELECT that feeds an INSERT from the payload.
func (c *compiler) insertSource(rel *Relation, cols []*Column, p *payload) string {
	exprs := make([]string, len(cols))
	for i, col := range cols {
		e := "pgrst_body." + ident(col.Name)
		if c.req.Prefer.Missing == MissingDefault && col.Default != "" {
			// The default expression comes from the catalog, not the request.
			e = "CASE WHEN pgrst_raw.v::jsonb ? " + sqlb.Literal(col.Name) + " THEN " + e + " ELSE " + col.Default + " END"
		}
		exprs[i] = e
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM json_array_elements(" + c.Bind(string(p.raw)) +
		"::json) pgrst_raw(v), LATERAL json_populate_record(NULL::" + rel.Sanitize() + ", pgrst_raw.v) pgrst_body"
}

func columnList(cols []*Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = ident(c.Name)
	}
	return strings.Join(names, ", ")
}

// compileInsert compiles POST (insert and upsert) and PUT.
func (c *compiler) compileInsert(rel *Relation, p *payload) (string, error) {
	if !rel.Insertable {
		return "", clientError(http.StatusMethodNotAllowed, "42809", fmt.Sprintf("cannot insert into relation %q", rel.Name), "", "")
	}
	cols, err := c.targetColumns(rel, p)
	if err != nil {
		return "", err
	}
	if c.req.Method == http.MethodPut {
		if err := c.checkPut(rel, p); err != nil {
			return "", err
		}
	}
	if len(cols) == 0 {
		if p.rows == 0 {
			return "SELECT " + c.returned(rel) + " FROM " + rel.Sanitize() + " t0 WHERE false", nil
		}
		return "INSERT INTO " + rel.Sanitize() + " AS t0 DEFAULT VALUES RETURNING " + c.returned(rel), nil
	}
	sql := "INSERT INTO " + rel.Sanitize() + " AS t0 (" + columnList(cols) + ") " + c.insertSource(rel, cols, p)
	resolution := c.req.Prefer.Resolution
	if c.req.Method == http.MethodPut {
		resolution = MergeDuplicates
	}
	// Without a primary key or on_conflict, PostgREST inserts plainly.
	if conflict := c.conflictColumns(rel); resolution != ResolutionUnset && len(conflict) > 0 {
		var quoted []string
		for _, k := range conflict {
			col := rel.Column(k)
			if col == nil {
				return "", noColumnError(rel, k)
			}
			quoted = append(quoted, ident(col.Name))
		}
		sql += " ON CONFLICT (" + strings.Join(quoted, ", ") + ")"
		var sets []string
		for _, col := range cols {
			sets = append(sets, ident(col.Name)+" = EXCLUDED."+ident(col.Name))
		}
		if resolution == IgnoreDuplicates || len(sets) == 0 {
			sql += " DO NOTHING"
		} else {
			sql += " DO UPDATE SET " + strings.Join(sets, ", ")
		}
	}
	return sql + " RETURNING " + c.returned(rel), nil
}

// returned is what an insert returns: its rows, and for a merge whether
// each was inserted (xmax is 0 in a row the statement inserted, not in one
// it updated), since PostgREST answers 200 when a merge only updated.
func (c *compiler) returned(rel *Relation) string {
	if c.merges(rel) {
		return "t0.*, (t0.xmax = 0) AS pgrst_ins"
	}
	return "t0.*"
}

// merges reports whether the request is a POST that merges duplicates
// into rel (ON CONFLICT DO UPDATE).
func (c *compiler) merges(rel *Relation) bool {
	return c.req.Method == http.MethodPost && c.req.Prefer.Resolution == MergeDuplicates && len(c.conflictColumns(rel)) > 0
}

// conflictColumns are the columns of an upsert's ON CONFLICT: on_conflict=
// or the primary key.
func (c *compiler) conflictColumns(rel *Relation) []string {
	if c.req.Query.OnConflict != nil {
		return c.req.Query.OnConflict
	}
	return rel.PK
}

// checkPut enforces PostgREST's PUT rules: filters are eq on exactly the
// primary key columns, and the body agrees with them.
func (c *compiler) checkPut(rel *Relation, p *payload) error {
	bad := clientError(http.StatusMethodNotAllowed, CodeInvalidFilters,
		"Filters must include all and only primary key columns with 'eq' operators", "", "")
	if !p.single || len(rel.PK) == 0 || len(c.req.Query.Filters) != len(rel.PK) || len(c.req.Query.Logic) > 0 {
		return bad
	}
	for _, f := range c.req.Query.Filters {
		if f.Path != nil || len(f.Field.JSON) > 0 || f.Expr.Op != OpEq || f.Expr.Negate || f.Expr.Quantifier != QuantNone || !slices.Contains(rel.PK, f.Field.Name) {
			return bad
		}
		v, ok := p.first[f.Field.Name]
		if !ok || !jsonMatches(v, f.Expr.Value) {
			return clientError(http.StatusBadRequest, CodePutMismatch, "Payload values do not match URL in primary key column(s)", "", "")
		}
	}
	return nil
}

func jsonMatches(raw json.RawMessage, s string) bool {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str == s
	}
	return strings.TrimSpace(string(raw)) == s
}

// whereRoot compiles the root filters and logic of a mutation on alias.
func (c *compiler) whereRoot(rel *Relation, alias string) ([]string, error) {
	lvl := &level{rel: rel, alias: alias, embeds: map[string]*embedding{}}
	var where []string
	for _, f := range c.req.Query.Filters {
		if f.Path != nil {
			continue
		}
		s, err := c.condition(lvl, f.Condition)
		if err != nil {
			return nil, err
		}
		where = append(where, s)
	}
	for _, l := range c.req.Query.Logic {
		if l.Path != nil {
			continue
		}
		s, err := c.logic(lvl, l.LogicExpr)
		if err != nil {
			return nil, err
		}
		where = append(where, s)
	}
	return where, nil
}

// limitedWhere adds PostgREST's limited update/delete: the rows picked by
// order and limit, through ctid.
func (c *compiler) limitedWhere(rel *Relation, where []string) ([]string, error) {
	r := c.req.Query.Range
	if r == AllRows {
		return where, nil
	}
	inner, err := c.whereRoot(rel, "t9")
	if err != nil {
		return nil, err
	}
	sub := "SELECT t9.ctid FROM " + rel.Sanitize() + " t9"
	if len(inner) > 0 {
		sub += " WHERE " + strings.Join(inner, " AND ")
	}
	lvl := &level{rel: rel, alias: "t9", embeds: map[string]*embedding{}}
	var order []string
	for _, o := range c.req.Query.Order {
		if o.Path != nil {
			continue
		}
		for _, t := range o.Terms {
			s, err := c.orderTerm(lvl, t)
			if err != nil {
				return nil, err
			}
			order = append(order, s)
		}
	}
	if len(order) > 0 {
		sub += " ORDER BY " + strings.Join(order, ", ")
	}
	if r.Limit != NoLimit {
		sub += " LIMIT " + c.Bind(r.Limit)
	}
	if r.Offset != 0 {
		sub += " OFFSET " + c.Bind(r.Offset)
	}
	return append(where, "t0.ctid = ANY(ARRAY("+sub+"))"), nil
}

func (c *compiler) compileUpdate(rel *Relation, p *payload) (string, error) {
	if !p.single {
		return "", invalidBodyError("PATCH takes a single JSON object")
	}
	cols, err := c.targetColumns(rel, p)
	if err != nil {
		return "", err
	}
	where, err := c.whereRoot(rel, "t0")
	if err != nil {
		return "", err
	}
	if where, err = c.limitedWhere(rel, where); err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return "SELECT t0.* FROM " + rel.Sanitize() + " t0 WHERE false", nil
	}
	sets := make([]string, len(cols))
	for i, col := range cols {
		sets[i] = ident(col.Name) + " = pgrst_body." + ident(col.Name)
	}
	sql := "UPDATE " + rel.Sanitize() + " AS t0 SET " + strings.Join(sets, ", ") +
		" FROM (SELECT * FROM json_populate_record(NULL::" + rel.Sanitize() + ", " + c.Bind(string(p.first2())) + "::json)) pgrst_body"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	return sql + " RETURNING t0.*", nil
}

// first2 is the single object of a one-object payload.
func (p *payload) first2() []byte { return p.raw[1 : len(p.raw)-1] }

func (c *compiler) compileDelete(rel *Relation) (string, error) {
	where, err := c.whereRoot(rel, "t0")
	if err != nil {
		return "", err
	}
	if where, err = c.limitedWhere(rel, where); err != nil {
		return "", err
	}
	sql := "DELETE FROM " + rel.Sanitize() + " AS t0"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	return sql + " RETURNING t0.*", nil
}

// compileMutation compiles POST, PUT, PATCH and DELETE on a relation: the
// mutation in a CTE, then the representation (when asked for) read from it
// with the request's select.
func (c *compiler) compileMutation(body []byte, media MediaType, location bool) (*Statement, error) {
	rel, err := c.relation(c.req.Target.Name)
	if err != nil {
		return nil, err
	}
	var mut string
	switch c.req.Method {
	case http.MethodDelete:
		mut, err = c.compileDelete(rel)
	default:
		var p *payload
		if p, err = parsePayload(body); err != nil {
			return nil, err
		}
		if c.req.Method == http.MethodPatch {
			mut, err = c.compileUpdate(rel, p)
		} else {
			mut, err = c.compileInsert(rel, p)
		}
	}
	if err != nil {
		return nil, err
	}
	body2 := "NULL::json"
	if c.req.Prefer.Return == ReturnRepresentation {
		// The mutation applied the root filters; the representation reads
		// every row it returned.
		saved := *c.req
		r2 := saved
		r2.Query.Filters = slices.DeleteFunc(slices.Clone(saved.Query.Filters), func(f Filter) bool { return f.Path == nil })
		r2.Query.Logic = slices.DeleteFunc(slices.Clone(saved.Query.Logic), func(l Logic) bool { return l.Path == nil })
		c.req = &r2
		root := &level{rel: rel, alias: "t0", items: c.req.Query.Select, noRowType: true}
		q, err := c.buildLevel(root, "pgrst_mut t0", nil, AllRows)
		c.req = &saved
		if err != nil {
			return nil, err
		}
		body2 = "(SELECT " + c.bodyExpr(media, q.outCols()) + " FROM (" + q.sql() + ") x)"
	}
	loc := "NULL::text[]"
	if location && len(rel.PK) > 0 {
		parts := make([]string, len(rel.PK))
		for i, k := range rel.PK {
			parts[i] = "t0." + ident(k) + "::text"
		}
		loc = "(SELECT ARRAY[" + strings.Join(parts, ", ") + "] FROM pgrst_mut t0 LIMIT 1)"
	}
	ins := "NULL::bool"
	if c.merges(rel) {
		ins = "(SELECT coalesce(bool_or(pgrst_ins), false) FROM pgrst_mut)"
	}
	sql := "WITH pgrst_mut AS (" + mut + ") SELECT NULL::int8 AS total, (SELECT count(*) FROM pgrst_mut) AS n, " + body2 + " AS body, " + loc + " AS loc, " + ins + " AS ins"
	return c.statement(sql), nil
}
