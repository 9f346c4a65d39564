package graphql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/magflock/mobo/internal/gate"
)

// atMostMarker starts the text of the error a mutation raises when it
// affects more rows than atMost, so the transaction rolls back; the handler
// turns it into a GraphQL error.
const atMostMarker = "mobo_graphql_atmost:"

// mutationResult compiles the response of a mutation whose rows are in
// CTE cte; limit is the atMost argument, or -1.
func (c *compiler) mutationResult(t *table, f *ast.Field, cte, verb string, limit int64) (string, error) {
	def := c.m.schema.Types[f.Definition.Type.Name()]
	b := c.next()
	var pairs []string
	for _, rf := range c.collect(f.SelectionSet, def) {
		var e string
		switch rf.Name {
		case "__typename":
			e = lit(def.Name)
		case "affectedCount":
			e = "count(*)"
		case "records":
			obj, err := c.object(t, rf.SelectionSet, b, 2, 1)
			if err != nil {
				return "", err
			}
			keys := make([]orderKey, len(t.pk))
			for i, k := range t.pk {
				keys[i] = orderKey{col: k}
			}
			e = "coalesce(json_agg(" + obj + " order by " + orderSQL(keys, b) + "), '[]')"
		}
		pairs = append(pairs, lit(rf.Alias), e)
	}
	q := "(select " + jsonObject(pairs) + " from " + cte + " " + b + ")"
	if limit < 0 {
		return q, nil
	}
	// The cast of the marker fails at run time (a constant would fail at
	// plan time even when not taken): the statement errors and the
	// transaction rolls back, as pg_graphql does.
	n := "(select count(*) from " + cte + ")"
	return "case when " + n + " > " + c.Bind(limit) + "::int8 then (" + c.Bind(atMostMarker+verb+" impacts too many records:") +
		"::text || " + n + "::text)::int::text::json else " + q + " end", nil
}

func (c *compiler) addCTE(body string) string {
	name := "m" + strconv.Itoa(len(c.ctes)+1)
	c.ctes = append(c.ctes, name+" as ("+body+")")
	return name
}

func (c *compiler) insert(t *table, f *ast.Field) (string, error) {
	objs, _ := f.ArgumentMap(c.vars)["objects"].([]any)
	if len(objs) == 0 {
		return "", errorf("At least one record must be provided to objects")
	}
	c.touch(t, gate.OpWrite)
	c.rows += int64(len(objs))
	if c.rows > c.cfg.MaxRows {
		return "", errorf("the query may return more than the limit of %d rows", c.cfg.MaxRows)
	}
	set := map[string]bool{}
	for _, o := range objs {
		m, _ := o.(map[string]any)
		for k := range m {
			col := t.cols[k]
			if col == nil || !col.input {
				return "", errorf("unknown input field %q", k)
			}
			set[k] = true
		}
	}
	var cols []*column
	for _, col := range t.order {
		if set[col.name] {
			cols = append(cols, col)
		}
	}
	var rows []string
	for _, o := range objs {
		m, _ := o.(map[string]any)
		var vals []string
		for _, col := range cols {
			v, ok := m[col.name]
			if !ok {
				vals = append(vals, "default")
				continue
			}
			vals = append(vals, c.input(col, v))
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	var body string
	if len(cols) == 0 {
		// Every column takes its default: name the first in each row.
		rows = slices.Repeat([]string{"(default)"}, len(objs))
		cols = t.order[:1]
	}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = ident(col.col.Name)
	}
	body = "insert into " + t.rel.Sanitize() + " (" + strings.Join(names, ", ") + ") values " + strings.Join(rows, ", ") + " returning *"
	return c.mutationResult(t, f, c.addCTE(body), "insert", -1)
}

func (c *compiler) update(t *table, f *ast.Field) (string, error) {
	args := f.ArgumentMap(c.vars)
	set, _ := args["set"].(map[string]any)
	if len(set) == 0 {
		return "", errorf("At least one mapping required in set")
	}
	limit, _, err := intArg(args, "atMost")
	if err != nil {
		return "", err
	}
	c.touch(t, gate.OpWrite)
	a := c.next()
	var sets []string
	for _, col := range t.order {
		v, ok := set[col.name]
		if !ok {
			continue
		}
		if !col.input {
			return "", errorf("unknown input field %q", col.name)
		}
		sets = append(sets, ident(col.col.Name)+" = "+c.input(col, v))
	}
	if len(sets) != len(set) {
		return "", errorf("unknown input field in set")
	}
	cond, err := c.filter(t, a, args["filter"])
	if err != nil {
		return "", err
	}
	body := "update " + t.rel.Sanitize() + " " + a + " set " + strings.Join(sets, ", ") + " where " + cond + " returning " + a + ".*"
	return c.mutationResult(t, f, c.addCTE(body), "update", limit)
}

func (c *compiler) delete(t *table, f *ast.Field) (string, error) {
	args := f.ArgumentMap(c.vars)
	limit, _, err := intArg(args, "atMost")
	if err != nil {
		return "", err
	}
	c.touch(t, gate.OpDelete)
	a := c.next()
	cond, err := c.filter(t, a, args["filter"])
	if err != nil {
		return "", err
	}
	body := "delete from " + t.rel.Sanitize() + " " + a + " where " + cond + " returning " + a + ".*"
	return c.mutationResult(t, f, c.addCTE(body), "delete", limit)
}
