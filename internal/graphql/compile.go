package graphql

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/sqlb"
)

// statement is a compiled operation: one SQL statement returning the
// response's data object as json, and its arguments.
type statement struct {
	SQL   string
	Args  []any
	Write bool
	// static is the data object when the operation needs no SQL (only
	// introspection and __typename).
	static []byte
	// Actions are the relations the statement reads or changes, for the
	// authorizer, in a stable order.
	Actions []gate.Action
}

// compiler turns one validated operation into one SQL statement. Values
// are bound parameters; identifiers come from the schema cache, quoted;
// names inlined as string literals are GraphQL names (validated by the
// lexer and the schema: letters, digits, underscores).
type compiler struct {
	m    *model
	cfg  Config
	doc  *ast.QueryDocument
	vars map[string]any
	sqlb.Builder
	ctes    []string
	rows    int64
	usesDB  bool
	actions map[gate.Action]bool
}

// touch records that the statement does op on t.
func (c *compiler) touch(t *table, op gate.Op) {
	if c.actions == nil {
		c.actions = map[gate.Action]bool{}
	}
	c.actions[gate.Action{API: "graphql", Schema: t.rel.Schema, Relation: t.rel.Name, Op: op}] = true
}

// queryError is a client mistake found while compiling: it becomes a
// GraphQL error, never a 500.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func errorf(format string, a ...any) error { return &queryError{msg: fmt.Sprintf(format, a...)} }

// next returns a new table alias.
func (c *compiler) next() string { return c.Alias("t") }

// lit quotes a GraphQL name (a json key of the response) as an SQL string
// literal.
func lit(name string) string { return sqlb.Literal(name) }

// ident quotes a name of the catalog.
func ident(s string) string { return sqlb.Ident(s) }

// jsonObject builds a json object of key/value pairs, in order.
// json_build_object takes at most 100 arguments; bigger objects are merged
// as jsonb (which keeps keys but not their order).
func jsonObject(pairs []string) string {
	if len(pairs) <= 100 {
		return "json_build_object(" + strings.Join(pairs, ", ") + ")"
	}
	var parts []string
	for i := 0; i < len(pairs); i += 100 {
		parts = append(parts, "jsonb_build_object("+strings.Join(pairs[i:min(i+100, len(pairs))], ", ")+")")
	}
	return "(" + strings.Join(parts, " || ") + ")::json"
}

// compile compiles operation op of the document.
func compile(m *model, cfg Config, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (st *statement, err error) {
	c := &compiler{m: m, cfg: cfg.withDefaults(), doc: doc, vars: vars}
	root := "Query"
	if op.Operation == ast.Mutation {
		root = "Mutation"
	} else if op.Operation != ast.Query {
		return nil, errorf("subscriptions are not supported")
	}
	def := m.schema.Types[root]
	if def == nil {
		return nil, errorf("the schema has no %s type", root)
	}
	// Introspection and __typename are answered in Go; when nothing else
	// is asked, no SQL runs.
	fields := c.collect(op.SelectionSet, def)
	static := make([][]byte, len(fields))
	exprs := make([]string, len(fields))
	for i, f := range fields {
		if err := c.checkDepth(f.SelectionSet, 1); err != nil {
			return nil, err
		}
		switch f.Name {
		case "__typename":
			static[i], _ = json.Marshal(root)
		case "__schema", "__type":
			if static[i], err = introspect(m.schema, f, c); err != nil {
				return nil, err
			}
		default:
			if exprs[i], err = c.rootField(f, root); err != nil {
				return nil, err
			}
		}
	}
	st = &statement{Write: op.Operation == ast.Mutation}
	if !c.usesDB {
		var b strings.Builder
		b.WriteByte('{')
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(f.Alias))
			b.WriteByte(':')
			b.Write(static[i])
		}
		b.WriteByte('}')
		st.static = []byte(b.String())
		return st, nil
	}
	pairs := make([]string, 0, 2*len(fields))
	for i, f := range fields {
		if static[i] != nil {
			exprs[i] = c.Bind(string(static[i])) + "::json"
		}
		pairs = append(pairs, lit(f.Alias), exprs[i])
	}
	var b strings.Builder
	if len(c.ctes) > 0 {
		b.WriteString("with ")
		b.WriteString(strings.Join(c.ctes, ", "))
		b.WriteString(" ")
	}
	b.WriteString("select ")
	b.WriteString(jsonObject(pairs))
	st.SQL, st.Args = b.String(), c.Args()
	for a := range c.actions {
		st.Actions = append(st.Actions, a)
	}
	slices.SortFunc(st.Actions, func(x, y gate.Action) int {
		return strings.Compare(x.Schema+"."+x.Relation+" "+string(x.Op), y.Schema+"."+y.Relation+" "+string(y.Op))
	})
	return st, nil
}

func (c *compiler) checkDepth(ss ast.SelectionSet, depth int) error {
	if depth > c.cfg.MaxDepth {
		return errorf("query depth exceeds the limit of %d", c.cfg.MaxDepth)
	}
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection answers in Go, not SQL
			}
			if err := c.checkDepth(s.SelectionSet, depth+1); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := c.checkDepth(s.SelectionSet, depth); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				if err := c.checkDepth(s.Definition.SelectionSet, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// collect flattens a selection set on object type def: fragments whose
// type condition applies, @skip and @include, fields of the same alias
// merged.
func (c *compiler) collect(ss ast.SelectionSet, def *ast.Definition) []*ast.Field {
	var out []*ast.Field
	byAlias := map[string]int{}
	var walk func(ss ast.SelectionSet)
	walk = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				if !c.included(s.Directives) {
					continue
				}
				if i, ok := byAlias[s.Alias]; ok {
					merged := *out[i]
					merged.SelectionSet = append(slices.Clone(out[i].SelectionSet), s.SelectionSet...)
					out[i] = &merged
					continue
				}
				byAlias[s.Alias] = len(out)
				out = append(out, s)
			case *ast.InlineFragment:
				if c.included(s.Directives) && c.applies(s.TypeCondition, def) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				if s.Definition != nil && c.included(s.Directives) && c.applies(s.Definition.TypeCondition, def) {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(ss)
	return out
}

func (c *compiler) applies(cond string, def *ast.Definition) bool {
	return cond == "" || cond == def.Name || slices.Contains(def.Interfaces, cond)
}

func (c *compiler) included(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		v, _ := d.ArgumentMap(c.vars)["if"].(bool)
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return false
		}
	}
	return true
}

// rootField compiles a root field that reads or writes the database.
func (c *compiler) rootField(f *ast.Field, root string) (string, error) {
	c.usesDB = true
	if f.Name == "node" && root == "Query" {
		return c.node(f)
	}
	rf, ok := c.m.roots[f.Name]
	if !ok {
		return "", errorf("unknown field %q on type %s", f.Name, root)
	}
	switch rf.kind {
	case rootCollection:
		return c.connection(rf.table, f, nil, 1, 1)
	case rootInsert:
		return c.insert(rf.table, f)
	case rootUpdate:
		return c.update(rf.table, f)
	case rootFunction:
		return c.functionField(rf.fn, f, root == "Mutation")
	}
	return c.delete(rf.table, f)
}

// nodeIDExpr is pg_graphql's nodeId: base64 of ["schema", "table", pk...].
func (c *compiler) nodeIDExpr(t *table, a string) string {
	parts := []string{c.Bind(t.rel.Schema) + "::text", c.Bind(t.rel.Name) + "::text"}
	for _, k := range t.pk {
		parts = append(parts, a+"."+ident(k.col.Name))
	}
	return b64(jsonbArray(parts))
}

func jsonbArray(parts []string) string { return "jsonb_build_array(" + strings.Join(parts, ", ") + ")" }

func b64(expr string) string {
	return "translate(encode(convert_to(" + expr + "::text, 'utf8'), 'base64'), E'\\n', '')"
}

// decodeNodeID parses a nodeId into its table and primary key values.
func (c *compiler) decodeNodeID(id string) (*table, []any, error) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil {
		return nil, nil, errorf("Invalid nodeId")
	}
	var parts []any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&parts); err != nil || len(parts) < 3 {
		return nil, nil, errorf("Invalid nodeId")
	}
	s, _ := parts[0].(string)
	n, _ := parts[1].(string)
	t := c.m.byRel[catalog.QName{Schema: s, Name: n}]
	if t == nil || len(parts)-2 != len(t.pk) {
		return nil, nil, errorf("Invalid nodeId")
	}
	return t, parts[2:], nil
}

func (c *compiler) node(f *ast.Field) (string, error) {
	id, _ := f.ArgumentMap(c.vars)["nodeId"].(string)
	t, pk, err := c.decodeNodeID(id)
	if err != nil {
		return "", err
	}
	a := c.next()
	var conds []string
	for i, k := range t.pk {
		conds = append(conds, a+"."+ident(k.col.Name)+" = "+c.value(k, pk[i]))
	}
	c.touch(t, gate.OpRead)
	obj, err := c.object(t, f.SelectionSet, a, 2, 1)
	if err != nil {
		return "", err
	}
	return "(select " + obj + " from " + t.rel.Sanitize() + " " + a + " where " + strings.Join(conds, " and ") + ")", nil
}

// value binds v (a GraphQL input value) as col's type.
func (c *compiler) value(col *column, v any) string {
	if v == nil {
		return "null"
	}
	return c.Bind(text(v)) + "::text::" + col.col.Type
}

// input binds v, a GraphQL input value of col, as col's type, mapping an
// enum's GraphQL value back to its label.
func (c *compiler) input(col *column, v any) string {
	return c.value(col, c.enumLabel(col, v))
}

// enumLabel is the SQL label of v when col's enum has mappings, else v.
func (c *compiler) enumLabel(col *column, v any) any {
	if s, ok := v.(string); ok && col.enumIn != nil {
		if label, ok := col.enumIn[s]; ok {
			return label
		}
	}
	return v
}

// enumOutput maps the labels of enum column expression expr to their
// GraphQL values; the labels are bound, the values are GraphQL names.
func (c *compiler) enumOutput(col *column, expr string) string {
	labels := make([]string, 0, len(col.enumOut))
	for l := range col.enumOut {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	var b strings.Builder
	b.WriteString("case " + expr + "::text")
	for _, l := range labels {
		b.WriteString(" when " + c.Bind(l) + "::text then " + lit(col.enumOut[l]))
	}
	b.WriteString(" end")
	return b.String()
}

// text renders an input value as PostgreSQL text input.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func intArg(args map[string]any, name string) (int64, bool, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			return 0, false, errorf("%s must be an integer", name)
		}
		n = i
	case float64:
		n = int64(v)
	default:
		return 0, false, errorf("%s must be an integer", name)
	}
	if n < 0 {
		return 0, false, errorf("%s must not be negative", name)
	}
	return n, true, nil
}

// orderKey is one ORDER BY key.
type orderKey struct {
	col        *column
	desc       bool
	nullsFirst bool
}

func (k orderKey) sql(a string) string {
	s := a + "." + ident(k.col.col.Name)
	if k.desc {
		s += " desc"
	} else {
		s += " asc"
	}
	if k.nullsFirst {
		return s + " nulls first"
	}
	return s + " nulls last"
}

func (k orderKey) reversed() orderKey {
	return orderKey{col: k.col, desc: !k.desc, nullsFirst: !k.nullsFirst}
}

func orderSQL(keys []orderKey, a string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.sql(a)
	}
	return strings.Join(parts, ", ")
}

func (c *compiler) orderKeys(t *table, v any) ([]orderKey, error) {
	var keys []orderKey
	seen := map[*column]bool{}
	list, _ := v.([]any)
	for _, item := range list {
		obj, _ := item.(map[string]any)
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, n := range names {
			col := t.cols[n]
			dir, _ := obj[n].(string)
			if col == nil || dir == "" || seen[col] {
				continue
			}
			seen[col] = true
			keys = append(keys, orderKey{col: col, desc: strings.HasPrefix(dir, "Desc"), nullsFirst: strings.HasSuffix(dir, "NullsFirst")})
		}
	}
	for _, k := range t.pk {
		if !seen[k] {
			keys = append(keys, orderKey{col: k})
		}
	}
	return keys, nil
}

// cursorExpr is the cursor of a row: base64 of its order keys as json.
func cursorExpr(keys []orderKey, a string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = a + "." + ident(k.col.col.Name)
	}
	return b64(jsonbArray(parts))
}

// afterCursor is the condition "row a comes strictly after cursor in the
// order of keys".
func (c *compiler) afterCursor(keys []orderKey, a, cursor string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", errorf("Invalid cursor")
	}
	var vals []any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&vals); err != nil || len(vals) != len(keys) {
		return "", errorf("Invalid cursor")
	}
	var ors []string
	for i, k := range keys {
		var ands []string
		for j := range i {
			col := a + "." + ident(keys[j].col.col.Name)
			if vals[j] == nil {
				ands = append(ands, col+" is null")
			} else {
				ands = append(ands, col+" = "+c.value(keys[j].col, vals[j]))
			}
		}
		col := a + "." + ident(k.col.col.Name)
		op := " > "
		if k.desc {
			op = " < "
		}
		switch {
		case vals[i] == nil && k.nullsFirst:
			ands = append(ands, col+" is not null")
		case vals[i] == nil:
			ands = append(ands, "false")
		case k.nullsFirst:
			ands = append(ands, col+op+c.value(k.col, vals[i]))
		default:
			ands = append(ands, "("+col+op+c.value(k.col, vals[i])+" or "+col+" is null)")
		}
		ors = append(ors, "("+strings.Join(ands, " and ")+")")
	}
	return "(" + strings.Join(ors, " or ") + ")", nil
}

// joinCond builds the condition tying a child's rows, under alias, to the
// parent row. Aliases are the compiler's own (t1, t2, …); identifiers are
// quoted where the condition is built, so no text is substituted later.
type joinCond func(alias string) string

// connection compiles a <Table>Connection field. join ties the rows to the
// parent row (nil at the root); mult is the number of parent rows it may
// repeat for, for the row limit.
func (c *compiler) connection(t *table, f *ast.Field, join joinCond, depth int, mult int64) (string, error) {
	return c.connectionFrom(t, f, t.rel.Sanitize(), join, depth, mult)
}

// intLit writes a page size or offset into the SQL as a number. These are
// integers the compiler computed and bounded (never text from the client),
// and as literals they leave a statement without parameters when nothing
// else needs one, which PostgreSQL plans once per connection instead of
// at every run, as it does for a LIMIT $n it cannot see. Values from the
// client stay bound.
func intLit(n int64) string { return strconv.FormatInt(n, 10) }

// connectionFrom is connection over the rows of from (a relation, a
// function call or a CTE) rather than the table itself.
func (c *compiler) connectionFrom(t *table, f *ast.Field, from string, join joinCond, depth int, mult int64) (string, error) {
	args := f.ArgumentMap(c.vars)
	first, hasFirst, err := intArg(args, "first")
	if err != nil {
		return "", err
	}
	last, hasLast, err := intArg(args, "last")
	if err != nil {
		return "", err
	}
	offset, _, err := intArg(args, "offset")
	if err != nil {
		return "", err
	}
	if hasFirst && hasLast {
		return "", errorf("\"first\" and \"last\" may not be used together")
	}
	before, _ := args["before"].(string)
	after, _ := args["after"].(string)
	if hasLast && offset > 0 {
		return "", errorf("\"offset\" may not be used with \"last\"")
	}
	// A table's max_rows directive is its page size and its cap, as in
	// pg_graphql.
	page, limitCap := int64(c.cfg.DefaultLimit), int64(c.cfg.MaxLimit)
	if t.pageSize > 0 {
		page, limitCap = int64(t.pageSize), int64(t.pageSize)
	}
	switch {
	case hasFirst:
		page = min(first, limitCap)
	case hasLast:
		page = min(last, limitCap)
	}
	rows := page * mult
	if mult > 0 && rows/mult != page || rows > c.cfg.MaxRows || c.rows+rows > c.cfg.MaxRows {
		return "", errorf("the query may return more than the limit of %d rows", c.cfg.MaxRows)
	}
	c.rows += rows
	c.touch(t, gate.OpRead)
	keys, err := c.orderKeys(t, args["orderBy"])
	if err != nil {
		return "", err
	}
	a, b := c.next(), c.next()
	filter, err := c.filter(t, a, args["filter"])
	if err != nil {
		return "", err
	}
	conds := []string{filter}
	if join != nil {
		conds = append(conds, join(a))
	}
	if after != "" {
		cond, err := c.afterCursor(keys, a, after)
		if err != nil {
			return "", err
		}
		conds = append(conds, cond)
	}
	if before != "" {
		rev := make([]orderKey, len(keys))
		for i, k := range keys {
			rev[i] = k.reversed()
		}
		cond, err := c.afterCursor(rev, a, before)
		if err != nil {
			return "", err
		}
		conds = append(conds, cond)
	}
	inner := keys
	if hasLast {
		inner = make([]orderKey, len(keys))
		for i, k := range keys {
			inner[i] = k.reversed()
		}
	}
	def := c.m.schema.Types[t.name+"Connection"]
	fields := c.collect(f.SelectionSet, def)
	// Without last and pageInfo, the page is the rows in order, no more:
	// no row numbers, no extra row to tell whether there is a next page.
	numbered := hasLast || slices.ContainsFunc(fields, func(f *ast.Field) bool { return f.Name == "pageInfo" })
	ord := b + ".__ord"
	edgeOrder := ord
	if hasLast {
		edgeOrder = ord + " desc"
	}
	if !numbered {
		edgeOrder = orderSQL(keys, b)
	}
	limit := func() string { return intLit(offset + page) }
	within := func() string {
		if !numbered {
			return ""
		}
		return " filter (where " + ord + " <= " + limit() + ")"
	}
	cur := cursorExpr(keys, b)

	var pairs []string
	for _, cf := range fields {
		var expr string
		switch cf.Name {
		case "__typename":
			expr = lit(def.Name)
		case "totalCount":
			a2 := c.next()
			tf, err := c.filter(t, a2, args["filter"])
			if err != nil {
				return "", err
			}
			tc := []string{tf}
			if join != nil {
				tc = append(tc, join(a2))
			}
			expr = "(select count(*) from " + from + " " + a2 + " where " + strings.Join(tc, " and ") + ")"
		case "aggregate":
			a2 := c.next()
			tf, err := c.filter(t, a2, args["filter"])
			if err != nil {
				return "", err
			}
			tc := []string{tf}
			if join != nil {
				tc = append(tc, join(a2))
			}
			expr = c.aggregate(t, cf, from, a2, strings.Join(tc, " and "))
		case "pageInfo":
			var pp []string
			for _, pf := range c.collect(cf.SelectionSet, c.m.schema.Types["PageInfo"]) {
				var e string
				switch pf.Name {
				case "__typename":
					e = lit("PageInfo")
				case "hasNextPage":
					if hasLast {
						e = strconv.FormatBool(before != "")
					} else {
						e = "count(*) > " + intLit(page)
					}
				case "hasPreviousPage":
					if hasLast {
						e = "count(*) > " + intLit(page)
					} else {
						e = strconv.FormatBool(after != "" || offset > 0)
					}
				case "startCursor":
					e = "(array_agg(" + cur + " order by " + edgeOrder + ")" + within() + ")[1]"
				case "endCursor":
					rev := ord + " desc"
					if hasLast {
						rev = ord
					}
					e = "(array_agg(" + cur + " order by " + rev + ")" + within() + ")[1]"
				}
				pp = append(pp, lit(pf.Alias), e)
			}
			expr = jsonObject(pp)
		case "edges":
			var ep []string
			for _, ef := range c.collect(cf.SelectionSet, c.m.schema.Types[t.name+"Edge"]) {
				var e string
				switch ef.Name {
				case "__typename":
					e = lit(t.name + "Edge")
				case "cursor":
					e = cur
				case "node":
					obj, err := c.object(t, ef.SelectionSet, b, depth+1, rows)
					if err != nil {
						return "", err
					}
					e = obj
				}
				ep = append(ep, lit(ef.Alias), e)
			}
			expr = "coalesce(json_agg(" + jsonObject(ep) + " order by " + edgeOrder + ")" + within() + ", '[]')"
		}
		pairs = append(pairs, lit(cf.Alias), expr)
	}
	if !numbered {
		q := "(select " + jsonObject(pairs) + " from (select " + a + ".* from " + from + " " + a + " where " + strings.Join(conds, " and ") +
			" order by " + orderSQL(keys, a) + " limit " + intLit(page) + " offset " + intLit(offset) + ") " + b + " having true)"
		return q, nil
	}
	q := "(select " + jsonObject(pairs) + " from (select " + a + ".*, row_number() over (order by " + orderSQL(inner, a) + ") as __ord from " +
		from + " " + a + " where " + strings.Join(conds, " and ") + " order by " + orderSQL(inner, a) +
		" limit " + intLit(page+1) + " offset " + intLit(offset) + ") " + b + " having true)"
	return q, nil
}

// object compiles the fields of a row of t (table alias a).
func (c *compiler) object(t *table, ss ast.SelectionSet, a string, depth int, mult int64) (string, error) {
	def := c.m.schema.Types[t.name]
	var pairs []string
	for _, f := range c.collect(ss, def) {
		var expr string
		switch f.Name {
		case "__typename":
			expr = lit(t.name)
		case "nodeId":
			expr = c.nodeIDExpr(t, a)
		default:
			if col := t.cols[f.Name]; col != nil {
				expr = a + "." + ident(col.col.Name)
				if col.text {
					expr += "::text"
				}
				if col.enumOut != nil {
					expr = c.enumOutput(col, expr)
				}
				break
			}
			var err error
			if fn := t.computed[f.Name]; fn != nil {
				if expr, err = c.functionResult(fn, f, c.computedCall(t, fn, a), depth, mult); err != nil {
					return "", err
				}
				break
			}
			rel := t.rels[f.Name]
			if rel == nil {
				return "", errorf("unknown field %q on type %s", f.Name, t.name)
			}
			if expr, err = c.relation(rel, f, a, depth, mult); err != nil {
				return "", err
			}
		}
		pairs = append(pairs, lit(f.Alias), expr)
	}
	return jsonObject(pairs), nil
}

func (c *compiler) relation(rel *relField, f *ast.Field, a string, depth int, mult int64) (string, error) {
	// parentCols are the parent's columns of the key, childCols the
	// target's.
	parentCols, childCols := rel.fk.FromCols, rel.fk.ToCols
	if rel.reverse {
		parentCols, childCols = rel.fk.ToCols, rel.fk.FromCols
	}
	cond := func(child string) string {
		parts := make([]string, len(parentCols))
		for i := range parentCols {
			parts[i] = child + "." + ident(childCols[i]) + " = " + a + "." + ident(parentCols[i])
		}
		return strings.Join(parts, " and ")
	}
	if rel.many {
		return c.connection(rel.target, f, cond, depth, mult)
	}
	c.touch(rel.target, gate.OpRead)
	a2 := c.next()
	obj, err := c.object(rel.target, f.SelectionSet, a2, depth+1, mult)
	if err != nil {
		return "", err
	}
	return "(select " + obj + " from " + rel.target.rel.Sanitize() + " " + a2 + " where " + cond(a2) + " limit 1)", nil
}
