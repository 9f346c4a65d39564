package graphql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/gate"
)

// Functions are exposed as pg_graphql exposes them: immutable and stable
// ones as Query fields, volatile ones as Mutation fields, and one taking a
// single row of an exposed table as a field of that table's type (a
// computed field, whatever its volatility). A function returning a scalar
// is a scalar field, one returning a table's row its node type, and one
// returning a set of a table's rows a connection with the table's filter,
// order and pagination. What pg_graphql leaves out is left out: overloaded
// and variadic functions, nameless arguments, void, records, enums and
// composite arrays.

type funcKind uint8

const (
	funcScalar funcKind = iota
	funcRow
	funcSetOf
)

// function is one exposed function.
type function struct {
	fn *catalog.Function
	// name is the GraphQL field name: the function's, or its @graphql name.
	name        string
	description string
	kind        funcKind
	// gql is the GraphQL type of a scalar result, without !; text is true
	// when it is returned as a string.
	gql  string
	text bool
	// target is the table of a row or set result.
	target *table
	// args are the GraphQL arguments, none for a computed field.
	args []funcArg
}

type funcArg struct {
	name     string
	sqlType  string // format_type's rendering, from the catalog
	gql      string // GraphQL input type, without !
	array    bool
	required bool
}

// connectionArgs are the arguments of a collection; a set-returning
// function with an argument of one of these names is not exposed.
var connectionArgs = []string{"first", "last", "before", "after", "offset", "filter", "orderBy"}

// sqlScalars maps format_type's spelling of a built-in type to its
// pg_graphql scalar and whether it travels as a string.
var sqlScalars = map[string]struct {
	gql  string
	text bool
}{
	"smallint": {"Int", false}, "integer": {"Int", false}, "bigint": {"BigInt", true},
	"real": {"Float", false}, "double precision": {"Float", false}, "numeric": {"BigFloat", true},
	"text": {"String", false}, "character varying": {"String", false}, "character": {"String", false},
	"name": {"String", false}, "citext": {"String", false}, "boolean": {"Boolean", false}, "uuid": {"UUID", false},
	"date": {"Date", false}, "timestamp without time zone": {"Datetime", false}, "timestamp with time zone": {"Datetime", false},
	"time without time zone": {"Time", false}, "time with time zone": {"Time", false},
	"json": {"JSON", true}, "jsonb": {"JSON", true},
}

// scalarOfSQL maps a format_type rendering to a GraphQL type ("Int",
// "[Int]"); ok is false for types pg_graphql does not expose.
func scalarOfSQL(ft string) (gql string, text, array, ok bool) {
	base, array := strings.CutSuffix(ft, "[]")
	s, ok := sqlScalars[base]
	if !ok {
		return "", false, false, false
	}
	if array {
		// Arrays are json arrays of the element type; big numbers in them
		// stay numbers, as in columns.
		return "[" + s.gql + "]", false, true, true
	}
	return s.gql, s.text, false, true
}

// buildFunctions makes the functions of schema name that take a row of a
// table computed fields of it, and returns the others, the root fields.
func buildFunctions(m *model, sc *catalog.Catalog, name string, inflect bool) []*function {
	var roots []*function
	var fns []*catalog.Function
	for q, list := range sc.Functions {
		if q.Schema == name && len(list) == 1 {
			fns = append(fns, list[0])
		}
	}
	slices.SortFunc(fns, func(a, b *catalog.Function) int { return strings.Compare(a.Name, b.Name) })
	for _, f := range fns {
		fd, desc := directive(f.Description)
		fn := &function{fn: f, name: f.Name, description: desc}
		switch {
		case fd.Name != "":
			fn.name = fd.Name
		case inflect:
			fn.name = camel(f.Name)
		case f.RowArg != nil:
			// A computed field's function may start with an underscore,
			// which its field name drops, as in pg_graphql.
			fn.name = strings.TrimPrefix(f.Name, "_")
		}
		if !nameRE.MatchString(fn.name) || f.Void || f.Variadic || strings.HasPrefix(fn.name, "__") {
			continue
		}
		switch {
		case f.ReturnRel != nil:
			if f.ReturnRel.Schema == "" {
				continue // a record or an unexposed composite
			}
			fn.target = m.byRel[f.ReturnRel.QName]
			if fn.target == nil {
				continue
			}
			fn.kind = funcRow
			if f.SetOf {
				fn.kind = funcSetOf
			}
		case f.SetOf:
			continue
		default:
			var ok bool
			if fn.gql, fn.text, _, ok = scalarOfSQL(f.ReturnType); !ok {
				continue
			}
		}
		if rel := f.RowArg; rel != nil {
			if t := m.byRel[rel.QName]; t != nil {
				addComputed(t, fn)
			}
			continue
		}
		ok := true
		for _, a := range f.Args {
			gql, _, array, known := scalarOfSQL(a.Type)
			if a.Name == "" || !nameRE.MatchString(a.Name) || !known ||
				fn.kind == funcSetOf && slices.Contains(connectionArgs, a.Name) {
				ok = false
				break
			}
			fn.args = append(fn.args, funcArg{name: a.Name, sqlType: a.Type, gql: gql, array: array, required: a.Required})
		}
		if ok {
			roots = append(roots, fn)
		}
	}
	return roots
}

// addRootFunctions adds the root function fields whose names are free to
// the Query or Mutation type.
func addRootFunctions(m *model, fns []*function, query, mutation *strings.Builder) {
	for _, fn := range fns {
		if _, taken := m.roots[fn.name]; taken || fn.name == "node" {
			continue
		}
		b := query
		if fn.fn.Volatility == 'v' {
			b = mutation
		}
		if fn.description != "" {
			fmt.Fprintf(b, "  %q\n", fn.description)
		}
		fmt.Fprintf(b, "  %s%s: %s\n", fn.name, fn.argsSDL(), fn.typeSDL())
		m.roots[fn.name] = rootField{kind: rootFunction, fn: fn}
	}
}

// addComputed makes fn a field of t unless the name is taken.
func addComputed(t *table, fn *function) {
	if t.cols[fn.name] != nil || t.rels[fn.name] != nil || t.computed[fn.name] != nil || fn.name == "nodeId" {
		return
	}
	if t.computed == nil {
		t.computed = map[string]*function{}
	}
	t.computed[fn.name] = fn
}

func (fn *function) argsSDL() string {
	var parts []string
	for _, a := range fn.args {
		nn := ""
		if a.required {
			nn = "!"
		}
		parts = append(parts, a.name+": "+a.gql+nn)
	}
	if fn.kind == funcSetOf {
		tn := fn.target.name
		parts = append(parts, "first: Int", "last: Int", "before: Cursor", "after: Cursor",
			"filter: "+tn+"Filter", "orderBy: ["+tn+"OrderBy!]")
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (fn *function) typeSDL() string {
	switch fn.kind {
	case funcRow:
		return fn.target.name
	case funcSetOf:
		return fn.target.name + "Connection"
	}
	return fn.gql
}

// call is the SQL call of fn with the field's arguments bound, in named
// notation so that omitted arguments take their defaults.
func (c *compiler) call(fn *function, f *ast.Field) string {
	c.touchFunction(fn)
	args := f.ArgumentMap(c.vars)
	var parts []string
	for _, a := range fn.args {
		v, ok := args[a.name]
		if !ok {
			continue
		}
		var val string
		switch {
		case v == nil:
			val = "null::" + a.sqlType
		case a.array:
			list, _ := v.([]any)
			strs := make([]*string, len(list))
			for i, x := range list {
				if x != nil {
					s := text(x)
					strs[i] = &s
				}
			}
			val = c.Bind(strs) + "::text[]::" + a.sqlType
		default:
			val = c.Bind(text(v)) + "::text::" + a.sqlType
		}
		parts = append(parts, ident(a.name)+" => "+val)
	}
	return fn.fn.Sanitize() + "(" + strings.Join(parts, ", ") + ")"
}

// touchFunction records that the statement calls fn.
func (c *compiler) touchFunction(fn *function) {
	if c.actions == nil {
		c.actions = map[gate.Action]bool{}
	}
	c.actions[gate.Action{API: "graphql", Schema: fn.fn.Schema, Relation: fn.fn.Name, Op: gate.OpExecute}] = true
}

// rowOf is the row of table t at alias a as t's row type, built from its
// columns (a may carry more, like a row number).
func rowOf(t *table, a string) string {
	cols := make([]string, len(t.rel.Columns))
	for i, col := range t.rel.Columns {
		cols[i] = a + "." + ident(col.Name)
	}
	return "row(" + strings.Join(cols, ", ") + ")::" + t.rel.Sanitize()
}

// computedCall is the SQL call of computed field fn on the row at alias a.
func (c *compiler) computedCall(t *table, fn *function, a string) string {
	c.touchFunction(fn)
	return fn.fn.Sanitize() + "(" + rowOf(t, a) + ")"
}

// functionField compiles a root function field. A mutation's call runs
// once, in a materialized CTE, whatever the response reads of it.
func (c *compiler) functionField(fn *function, f *ast.Field, mutation bool) (string, error) {
	call := c.call(fn, f)
	if mutation {
		name := c.materialize(fn, call)
		switch fn.kind {
		case funcScalar:
			return "(select v from " + name + ")", nil
		case funcRow:
			return c.functionRow(fn, f, name, 1)
		}
		return c.connectionFrom(fn.target, f, name, nil, 1, 1)
	}
	return c.functionResult(fn, f, call, 1, 1)
}

// functionResult compiles the value of a call (or a CTE's rows) of fn.
func (c *compiler) functionResult(fn *function, f *ast.Field, call string, depth int, mult int64) (string, error) {
	switch fn.kind {
	case funcScalar:
		if fn.text {
			return call + "::text", nil
		}
		return call, nil
	case funcRow:
		return c.functionRow(fn, f, call, depth)
	}
	return c.connectionFrom(fn.target, f, call, nil, depth, mult)
}

// functionRow is a function's row as the target's node type, null when the
// function returns no row or a row of nulls (as pg_graphql does).
func (c *compiler) functionRow(fn *function, f *ast.Field, from string, depth int) (string, error) {
	c.touch(fn.target, gate.OpRead)
	a := c.next()
	obj, err := c.object(fn.target, f.SelectionSet, a, depth+1, 1)
	if err != nil {
		return "", err
	}
	return "(select " + obj + " from " + from + " " + a + " where not (" + a + " is null) limit 1)", nil
}

// materialize runs a volatile call once in a CTE and returns its name.
func (c *compiler) materialize(fn *function, call string) string {
	name := "m" + strconv.Itoa(len(c.ctes)+1)
	body := "select * from " + call
	if fn.kind == funcScalar {
		v := call
		if fn.text {
			v += "::text"
		}
		body = "select " + v + " as v"
	}
	c.ctes = append(c.ctes, name+" as materialized ("+body+")")
	return name
}
