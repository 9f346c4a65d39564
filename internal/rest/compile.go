package rest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/magflock/mobo/internal/sqlb"
)

// Statement is one compiled request: SQL text and its bound arguments. The
// statement returns one row of four columns: total (int8, the count asked
// for with Prefer: count, or null), n (int8, rows in the body or affected),
// body (json) and loc (text[], the primary key of the first inserted row).
type Statement struct {
	SQL  string
	Args []any
	// Explain, for Prefer: count=planned or count=estimated, is the EXPLAIN
	// (FORMAT JSON) of the rows counted, whose top plan node's row
	// estimate is the planned count. It runs in the same round trip.
	Explain *Statement
	// Text is true when the body is already in the response's media type
	// (CSV), not JSON.
	Text bool
	// BuiltinOnly is true for a read that runs none of the database's own
	// code ([compiler.userCode]): no function, view, policy, domain check,
	// user-defined type or operator can see its request settings.
	BuiltinOnly bool
}

// compiler builds one statement. It resolves every identifier against the
// schema cache and quotes it; every value becomes a parameter.
type compiler struct {
	sc     *Schema
	cfg    *Config
	schema string
	sqlb.Builder
	req *Request
	// textBody is set when the body is built as text (CSV).
	textBody bool
	// userCode is set when the statement may run code of the database's
	// own: a view, a relation with row-level security (its policies), a
	// function (computed fields and relationships, aggregates), a cast, a
	// column of a type that is not PostgreSQL's own (a domain's checks,
	// an enum's or composite's cast to json, an extension's functions), an
	// operator or ordering that PostgreSQL does not define for a built-in
	// type (the database may), text search or GeoJSON. Every read is
	// judged; what the judgement leaves aside is a database shadowing
	// PostgreSQL's own functions (json_agg, count) by name.
	userCode bool
}

func newCompiler(sc *Schema, cfg *Config, schema string, req *Request) *compiler {
	return &compiler{sc: sc, cfg: cfg, schema: schema, req: req}
}

// ident quotes a name; the compiler's names all come from the schema
// cache.
func ident(s string) string { return sqlb.Ident(s) }

// level is one relation in the select tree: the root or an embedding.
type level struct {
	rel   *Relation
	alias string
	path  []string
	items []SelectItem
	// embeds of this level by name (alias or relation name) for filters
	// and order on them.
	embeds map[string]*embedding
	// ordered are the embeddings in select order.
	ordered []*embedding
	// root-only: mutation results have no row type for computed fields.
	noRowType bool
}

type embedding struct {
	rel    *relationship
	lvl    *level
	lat    string // the lateral's alias
	name   string // the output name: alias or relation
	inner  bool
	spread bool
	// join is the condition tying the child to the parent, in the child's alias.
	join string
	from string
}

// rowsQuery is a compiled level.
type rowsQuery struct {
	cols  []sqlb.Column
	from  string
	joins []string
	where []string
	order []string
	limit string
}

// add appends an output column.
func (q *rowsQuery) add(col sqlb.Column) { q.cols = append(q.cols, col) }

// outCols are the output columns' names.
func (q *rowsQuery) outCols() []string {
	names := make([]string, len(q.cols))
	for i, c := range q.cols {
		names[i] = c.Name
	}
	return names
}

func (q *rowsQuery) sql() string {
	list, group := sqlb.SelectList(q.cols)
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(list)
	b.WriteString(" FROM ")
	b.WriteString(q.from)
	for _, j := range q.joins {
		b.WriteString(" ")
		b.WriteString(j)
	}
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	if len(group) > 0 {
		b.WriteString(" GROUP BY ")
		b.WriteString(strings.Join(group, ", "))
	}
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(q.order, ", "))
	}
	b.WriteString(q.limit)
	return b.String()
}

// countSQL counts the rows of the level without its range.
func (q *rowsQuery) countSQL() string { return "SELECT count(*)" + q.fromWhere() }

// cappedCountSQL counts the rows of the level up to limit.
func (q *rowsQuery) cappedCountSQL(limit string) string {
	return "SELECT count(*) FROM (SELECT 1" + q.fromWhere() + " LIMIT " + limit + ") pgrst_capped"
}

// fromWhere is the level's FROM and WHERE clauses.
func (q *rowsQuery) fromWhere() string {
	var b strings.Builder
	b.WriteString(" FROM ")
	b.WriteString(q.from)
	for _, j := range q.joins {
		b.WriteString(" ")
		b.WriteString(j)
	}
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	return b.String()
}

// relation resolves the target relation of the request.
func (c *compiler) relation(name string) (*Relation, error) {
	r := c.sc.Relations[QName{Schema: c.schema, Name: name}]
	if r == nil {
		return nil, noRelationError(c.sc, c.schema, name)
	}
	return r, nil
}

// buildLevel compiles a level's select list, embeddings, filters, logic,
// order and range. from is its FROM item (already aliased lvl.alias), where
// the conditions that tie it to its parent.
func (c *compiler) buildLevel(lvl *level, from string, where []string, rng Range) (*rowsQuery, error) {
	q := &rowsQuery{from: from, where: slices.Clone(where)}
	lvl.embeds = map[string]*embedding{}
	if err := c.selectList(lvl, q, lvl.items); err != nil {
		return nil, err
	}
	// Filters and logic at this path.
	for _, f := range c.req.Query.Filters {
		if !equalPath(f.Path, lvl.path) {
			continue
		}
		s, err := c.condition(lvl, f.Condition)
		if err != nil {
			return nil, err
		}
		q.where = append(q.where, s)
	}
	for _, l := range c.req.Query.Logic {
		if !equalPath(l.Path, lvl.path) {
			continue
		}
		s, err := c.logic(lvl, l.LogicExpr)
		if err != nil {
			return nil, err
		}
		q.where = append(q.where, s)
	}
	for _, e := range lvl.ordered {
		if e.inner {
			if e.rel.toOne() {
				q.where = append(q.where, e.lat+".v IS NOT NULL")
			} else {
				q.where = append(q.where, e.lat+".n > 0")
			}
		}
	}
	for _, o := range c.req.Query.Order {
		if !equalPath(o.Path, lvl.path) {
			continue
		}
		for _, t := range o.Terms {
			s, err := c.orderTerm(lvl, t)
			if err != nil {
				return nil, err
			}
			q.order = append(q.order, s)
		}
	}
	if lvl.path != nil {
		for _, er := range c.req.Query.EmbedRanges {
			if equalPath(er.Path, lvl.path) {
				rng = er.Range
			}
		}
	}
	if rng.Limit != NoLimit {
		q.limit += " LIMIT " + c.Bind(rng.Limit)
	}
	if rng.Offset != 0 {
		q.limit += " OFFSET " + c.Bind(rng.Offset)
	}
	return q, nil
}

func (c *compiler) selectList(lvl *level, q *rowsQuery, items []SelectItem) error {
	for _, it := range items {
		switch it.Kind {
		case SelectStar:
			for _, col := range lvl.rel.Columns {
				c.readsColumn(col)
				q.add(sqlb.Column{Expr: lvl.alias + "." + ident(col.Name), Name: col.Name})
			}
		case SelectCount:
			if !c.cfg.Aggregates {
				return aggregatesError()
			}
			name := cmpOr(it.Alias, "count")
			expr := "count(*)"
			if it.AggregateCast != "" {
				t, err := c.cast(it.AggregateCast)
				if err != nil {
					return err
				}
				expr = "CAST(" + expr + " AS " + t + ")"
			}
			q.add(sqlb.Column{Expr: expr, Name: name, Agg: true})
			c.userCode = true // an aggregate function
		case SelectField:
			if lvl.path != nil && it.Field.Name == "count" && len(it.Field.JSON) == 0 && it.Aggregate == AggNone && lvl.rel.Column("count") == nil {
				// "rel(count)": PostgREST's count of an embedding, allowed
				// even with aggregates off.
				q.add(sqlb.Column{Expr: "count(*)", Name: cmpOr(it.Alias, "count"), Agg: true})
				c.userCode = true // an aggregate function
				continue
			}
			expr, err := c.fieldExpr(lvl, it.Field)
			if err != nil {
				return err
			}
			name := it.Alias
			if name == "" {
				name = defaultName(it.Field)
			}
			if it.Cast != "" {
				t, err := c.cast(it.Cast)
				if err != nil {
					return err
				}
				expr = "CAST(" + expr + " AS " + t + ")"
			}
			agg := it.Aggregate != AggNone
			if agg {
				if !c.cfg.Aggregates {
					return aggregatesError()
				}
				expr = it.Aggregate.String() + "(" + expr + ")"
				if it.Alias == "" {
					name = it.Aggregate.String()
				}
				if it.AggregateCast != "" {
					t, err := c.cast(it.AggregateCast)
					if err != nil {
						return err
					}
					expr = "CAST(" + expr + " AS " + t + ")"
				}
				c.userCode = true // an aggregate function
			}
			q.add(sqlb.Column{Expr: expr, Name: name, Agg: agg})
		case SelectEmbed, SelectSpread:
			if err := c.embedItem(lvl, q, it); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func aggregatesError() *Error {
	return clientError(http.StatusBadRequest, CodeAggregates, "Use of aggregate functions is not allowed", "", "")
}

func defaultName(f Field) string {
	for i := len(f.JSON) - 1; i >= 0; i-- {
		if !f.JSON[i].Index {
			return f.JSON[i].Operand
		}
	}
	return f.Name
}

func (c *compiler) cast(name string) (string, error) {
	c.userCode = true // to a type or through a cast function of the database's, maybe
	t := c.sc.CastType(name)
	if t == "" {
		return "", clientError(http.StatusBadRequest, "42704", fmt.Sprintf("type %q does not exist", name), "", "")
	}
	return t, nil
}

// fieldExpr is a column (or computed field) of lvl with its JSON path.
func (c *compiler) fieldExpr(lvl *level, f Field) (string, error) {
	var expr string
	if col := lvl.rel.Column(f.Name); col != nil {
		c.readsColumn(col)
		if len(f.JSON) > 0 && col.BaseType != "json" && col.BaseType != "jsonb" {
			c.userCode = true
		}
		expr = lvl.alias + "." + ident(col.Name)
	} else if fn := c.computedField(lvl, f.Name); fn != nil {
		c.userCode = true
		expr = fn.Sanitize() + "(" + lvl.alias + ")"
	} else {
		return "", noColumnError(lvl.rel, f.Name)
	}
	return c.jsonPath(expr, f.JSON), nil
}

func (c *compiler) computedField(lvl *level, name string) *Function {
	if lvl.noRowType || lvl.rel.Synthetic {
		return nil
	}
	fn := c.sc.Computed(lvl.rel.Schema, name, lvl.rel)
	if fn == nil || fn.SetOf || fn.Void {
		return nil
	}
	return fn
}

func (c *compiler) jsonPath(expr string, path []JSONOp) string {
	if len(path) == 0 {
		return expr
	}
	var b strings.Builder
	b.WriteString("(")
	b.WriteString(expr)
	for _, op := range path {
		if op.Arrow == ArrowText {
			b.WriteString("->>")
		} else {
			b.WriteString("->")
		}
		if op.Index {
			n, err := strconv.ParseInt(op.Operand, 10, 32)
			if err != nil {
				n = 1 << 30 // out of range: no element, as PostgreSQL says for any missing index
			}
			b.WriteString(c.Bind(n) + "::int4")
		} else {
			b.WriteString(c.Bind(op.Operand) + "::text")
		}
	}
	b.WriteString(")")
	return b.String()
}

// embedItem compiles an embedded resource into a lateral join.
func (c *compiler) embedItem(parent *level, q *rowsQuery, it SelectItem) error {
	rels := c.sc.relationships(parent.rel, it.Relation, it.Hint)
	if parent.rel.Synthetic {
		rels = nil
	}
	switch {
	case len(rels) == 0:
		return noRelationshipError(c.sc, parent.rel, it.Relation, it.Hint)
	case len(rels) > 1:
		return ambiguousEmbeddingError(parent.rel, it.Relation, rels)
	}
	rel := rels[0]
	name := cmpOr(it.Alias, it.Relation)
	if slices.ContainsFunc(parent.ordered, func(e *embedding) bool { return e.name == name }) {
		// PostgREST names the join after the embedding: PostgreSQL refuses the second.
		return clientError(http.StatusBadRequest, "42712", fmt.Sprintf("table name %q specified more than once", name), "", "")
	}
	child := &level{rel: rel.target, alias: c.Alias("t"), path: append(slices.Clone(parent.path), name), items: it.Children}
	lat := c.Alias("e")
	e := &embedding{rel: rel, lvl: child, lat: lat, name: name, inner: it.Join == JoinInner, spread: it.Kind == SelectSpread}
	parent.embeds[name] = e
	parent.ordered = append(parent.ordered, e)
	if it.Alias != "" {
		parent.embeds[it.Relation] = e
	}
	from, join := c.embedJoin(parent, child, rel)
	e.from, e.join = from, join
	cq, err := c.buildLevel(child, from, []string{join}, AllRows)
	if err != nil {
		return err
	}
	if e.spread && !rel.toOne() {
		// A spread to-many relationship gives one array per column.
		aggs := make([]string, len(cq.cols))
		for i, col := range cq.outCols() {
			aggs[i] = "coalesce(json_agg(x." + ident(col) + "), '[]') AS " + ident(col)
		}
		if len(aggs) == 0 {
			aggs = []string{"count(*) AS n"}
		}
		q.joins = append(q.joins, "LEFT JOIN LATERAL (SELECT "+strings.Join(aggs, ", ")+" FROM ("+cq.sql()+") x) "+lat+" ON true")
		for _, col := range cq.outCols() {
			q.add(sqlb.Column{Expr: lat + "." + ident(col), Name: col, JSON: true})
		}
		e.inner = false
		return nil
	}
	if e.spread {
		q.joins = append(q.joins, "LEFT JOIN LATERAL ("+cq.sql()+") "+lat+" ON true")
		for _, col := range cq.outCols() {
			q.add(sqlb.Column{Expr: lat + "." + ident(col), Name: col})
		}
		return nil
	}
	// An empty embedding, rel(), filters (with !inner or rel=not.is.null)
	// but is left out of the output, as in PostgREST.
	shown := len(it.Children) > 0
	if rel.toOne() {
		q.joins = append(q.joins, "LEFT JOIN LATERAL (SELECT row_to_json(x) AS v FROM ("+cq.sql()+") x LIMIT 1) "+lat+" ON true")
		if shown {
			q.add(sqlb.Column{Expr: lat + ".v", Name: name, JSON: true})
		}
	} else {
		q.joins = append(q.joins, "LEFT JOIN LATERAL (SELECT json_agg(x) AS v, count(*) AS n FROM ("+cq.sql()+") x) "+lat+" ON true")
		if shown {
			q.add(sqlb.Column{Expr: "coalesce(" + lat + ".v, '[]')", Name: name, JSON: true})
		}
	}
	return nil
}

// embedJoin is the FROM item of an embedded level and the condition that
// ties its rows to the parent row.
func (c *compiler) embedJoin(parent, child *level, rel *relationship) (from, join string) {
	from = rel.target.Sanitize() + " " + child.alias
	c.reads(rel.target)
	var conds []string
	switch rel.kind {
	case relManyToOne:
		c.joinsOn(rel.fk)
		for i := range rel.fk.FromCols {
			conds = append(conds, child.alias+"."+ident(rel.fk.ToCols[i])+" = "+parent.alias+"."+ident(rel.fk.FromCols[i]))
		}
	case relOneToMany:
		c.joinsOn(rel.fk)
		for i := range rel.fk.FromCols {
			conds = append(conds, child.alias+"."+ident(rel.fk.FromCols[i])+" = "+parent.alias+"."+ident(rel.fk.ToCols[i]))
		}
	case relManyToMany:
		j := c.Alias("j")
		var on []string
		for i := range rel.fk2.FromCols {
			on = append(on, j+"."+ident(rel.fk2.FromCols[i])+" = "+child.alias+"."+ident(rel.fk2.ToCols[i]))
		}
		for i := range rel.fk.FromCols {
			conds = append(conds, j+"."+ident(rel.fk.FromCols[i])+" = "+parent.alias+"."+ident(rel.fk.ToCols[i]))
		}
		from += " JOIN " + rel.fk.From.Sanitize() + " " + j + " ON " + strings.Join(on, " AND ")
		c.reads(rel.fk.From)
		c.joinsOn(rel.fk)
		c.joinsOn(rel.fk2)
	case relComputed:
		c.userCode = true
		from = rel.fn.Sanitize() + "(" + parent.alias + ") " + child.alias
		conds = append(conds, "true")
	}
	return from, strings.Join(conds, " AND ")
}

// orderTerm compiles one order= term.
func (c *compiler) orderTerm(lvl *level, t OrderTerm) (string, error) {
	var expr string
	if t.Relation != "" {
		e := lvl.embeds[t.Relation]
		switch {
		case e == nil:
			return "", clientError(http.StatusBadRequest, "PGRST108", fmt.Sprintf("'%s' is not an embedded resource in this request", t.Relation), "",
				fmt.Sprintf("Verify that '%s' is included in the 'select' query parameter.", t.Relation))
		case !e.rel.toOne():
			return "", clientError(http.StatusBadRequest, "PGRST118", fmt.Sprintf("A related order on '%s' is not possible", t.Relation),
				fmt.Sprintf("'%s' and '%s' do not form a many-to-one or one-to-one relationship", lvl.rel.Name, t.Relation), "")
		}
		fe, err := c.fieldExpr(e.lvl, t.Field)
		if err != nil {
			return "", err
		}
		c.ordersBuiltin(e.lvl, t.Field)
		expr = "(SELECT " + fe + " FROM " + e.from + " WHERE " + e.join + " LIMIT 1)"
	} else {
		var err error
		if expr, err = c.fieldExpr(lvl, t.Field); err != nil {
			return "", err
		}
		c.ordersBuiltin(lvl, t.Field)
	}
	switch t.Dir {
	case OrderAsc:
		expr += " ASC"
	case OrderDesc:
		expr += " DESC"
	}
	switch t.Nulls {
	case NullsFirst:
		expr += " NULLS FIRST"
	case NullsLast:
		expr += " NULLS LAST"
	}
	return expr, nil
}

var simpleOps = map[Operator]string{
	OpEq: "=", OpNeq: "<>", OpGt: ">", OpGte: ">=", OpLt: "<", OpLte: "<=",
	OpLike: "LIKE", OpILike: "ILIKE", OpMatch: "~", OpIMatch: "~*",
	OpCs: "@>", OpCd: "<@", OpOv: "&&", OpSl: "<<", OpSr: ">>", OpNxl: "&>", OpNxr: "&<", OpAdj: "-|-",
}

// ftsFuncs are the text search functions of the fts operators.
var ftsFuncs = map[Operator]string{ //nolint:gosec // function names, not credentials
	OpFTS: "to_tsquery", OpPLFTS: "plainto_tsquery", OpPHFTS: "phraseto_tsquery", OpWFTS: "websearch_to_tsquery",
}

// condition compiles a filter; a null test on an embedded resource's name
// tests whether the embedding found rows.
func (c *compiler) condition(lvl *level, cond Condition) (string, error) {
	if lvl.rel.Column(cond.Field.Name) == nil && len(cond.Field.JSON) == 0 && cond.Expr.Op == OpIs {
		if e := lvl.embeds[cond.Field.Name]; e != nil && (cond.Expr.Is == IsNull || cond.Expr.Is == IsNotNull) {
			found := e.lat + ".v IS NOT NULL"
			if !e.rel.toOne() {
				found = "coalesce(" + e.lat + ".n, 0) > 0"
			}
			if (cond.Expr.Is == IsNull) != cond.Expr.Negate {
				return "NOT (" + found + ")", nil
			}
			return found, nil
		}
	}
	lhs, err := c.fieldExpr(lvl, cond.Field)
	if err != nil {
		return "", err
	}
	c.comparesBuiltin(lvl, cond.Field, cond.Expr.Op)
	return c.opExpr(lhs, cond.Expr), nil
}

func (c *compiler) opExpr(lhs string, e OpExpr) string {
	var s string
	switch e.Op {
	case OpIn:
		s = lhs + " = ANY(" + c.Bind(nonNil(e.List)) + ")"
	case OpIs:
		switch e.Is {
		case IsNull:
			s = lhs + " IS NULL"
		case IsNotNull:
			s = lhs + " IS NOT NULL"
		case IsTrue:
			s = lhs + " IS TRUE"
		case IsFalse:
			s = lhs + " IS FALSE"
		default:
			s = lhs + " IS UNKNOWN"
		}
	case OpIsDistinct:
		s = lhs + " IS DISTINCT FROM " + c.Bind(e.Value)
	case OpFTS, OpPLFTS, OpPHFTS, OpWFTS:
		fn := ftsFuncs[e.Op]
		if e.Language != "" {
			s = lhs + " @@ " + fn + "(" + c.Bind(e.Language) + "::regconfig, " + c.Bind(e.Value) + ")"
		} else {
			s = lhs + " @@ " + fn + "(" + c.Bind(e.Value) + ")"
		}
	default:
		op := simpleOps[e.Op]
		v := e.Value
		if e.Op == OpLike || e.Op == OpILike {
			v = strings.ReplaceAll(v, "*", "%")
		}
		switch e.Quantifier {
		case QuantAny:
			s = lhs + " " + op + " ANY(" + c.Bind(v) + ")"
		case QuantAll:
			s = lhs + " " + op + " ALL(" + c.Bind(v) + ")"
		default:
			s = lhs + " " + op + " " + c.Bind(v)
		}
	}
	if e.Negate {
		return "NOT (" + s + ")"
	}
	return s
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (c *compiler) logic(lvl *level, e LogicExpr) (string, error) {
	parts := make([]string, 0, len(e.Children))
	for _, ch := range e.Children {
		var (
			s   string
			err error
		)
		if ch.Cond != nil {
			s, err = c.condition(lvl, *ch.Cond)
		} else {
			s, err = c.logic(lvl, *ch.Expr)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	sep := " AND "
	if e.Op == LogicOr {
		sep = " OR "
	}
	s := "(" + strings.Join(parts, sep) + ")"
	if len(parts) == 0 {
		s = "true"
	}
	if e.Negate {
		s = "NOT " + s
	}
	return s, nil
}

// bodyExpr wraps the rows x of a response, whose columns are cols,
// according to the media type.
func (c *compiler) bodyExpr(media MediaType, cols []string) string {
	switch media.Kind {
	case MediaCSV:
		return c.csvExpr(cols)
	case MediaGeoJSON:
		return "json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(x.*)::json), '[]'))"
	case MediaArrayJSON:
		return "json_strip_nulls(coalesce(json_agg(x), '[]'))"
	case MediaObjectJSON:
		if media.NullsStripped {
			return "json_strip_nulls(coalesce(json_agg(x), '[]'))"
		}
	}
	return "coalesce(json_agg(x), '[]')"
}

// csvExpr renders the rows x as PostgREST's CSV: a header of the column
// names (none without rows), then each row as PostgreSQL's record text
// output without its parentheses, which quotes a field holding a comma,
// a quote, a backslash, a parenthesis or white space, or empty, and
// doubles quotes and backslashes in it; a null is an empty field.
func (c *compiler) csvExpr(cols []string) string {
	c.textBody = true
	return "CASE WHEN count(*) = 0 THEN '' ELSE " + c.Bind(strings.Join(cols, ",")) + "::text END || chr(10) || " +
		"coalesce(string_agg(substring(x::text, 2, length(x::text) - 2), chr(10)), '')"
}

// statement is the compiled statement of sql.
func (c *compiler) statement(sql string) *Statement {
	return &Statement{SQL: sql, Args: c.Args(), Text: c.textBody}
}

// reads notes that the statement reads rel.
func (c *compiler) reads(rel *Relation) {
	switch {
	case rel.Synthetic, rel.RowSecurity, rel.Kind != 'r' && rel.Kind != 'p' && rel.Kind != 'm':
		c.userCode = true
	}
}

// readsColumn notes that the statement reads col (nil: a computed field).
func (c *compiler) readsColumn(col *Column) {
	if col == nil || !col.BuiltinType {
		c.userCode = true
	}
}

// joinsOn notes a join on fk's columns, compared with = : PostgreSQL's
// own operator only on its own comparable types.
func (c *compiler) joinsOn(fk *ForeignKey) {
	for _, side := range [...]struct {
		rel  *Relation
		cols []string
	}{{fk.From, fk.FromCols}, {fk.To, fk.ToCols}} {
		for _, name := range side.cols {
			if col := side.rel.Column(name); col == nil || !col.BuiltinType || !comparableTypes[col.BaseType] {
				c.userCode = true
			}
		}
	}
}

// comparableTypes are built-in types that PostgreSQL itself compares
// and orders (btree), textTypes those it also matches with LIKE and
// regular expressions: filters and orders on them use its own operators.
var (
	comparableTypes = map[string]bool{
		"bool": true, "int2": true, "int4": true, "int8": true, "float4": true, "float8": true, "numeric": true,
		"money": true, "oid": true, "text": true, "varchar": true, "bpchar": true, "char": true, "name": true,
		"uuid": true, "date": true, "time": true, "timetz": true, "timestamp": true, "timestamptz": true,
		"interval": true, "bytea": true, "inet": true, "cidr": true, "macaddr": true, "macaddr8": true,
		"jsonb": true, "bit": true, "varbit": true, "pg_lsn": true,
	}
	textTypes = map[string]bool{"text": true, "varchar": true, "bpchar": true, "name": true}
)

// comparesBuiltin notes a filter on field f of lvl with op: unless
// PostgreSQL's own operator applies, the database's may.
func (c *compiler) comparesBuiltin(lvl *level, f Field, op Operator) {
	typ, ok := c.builtinType(lvl, f)
	switch op {
	case OpEq, OpNeq, OpGt, OpGte, OpLt, OpLte, OpIn, OpIsDistinct:
		ok = ok && comparableTypes[typ]
	case OpLike, OpILike, OpMatch, OpIMatch:
		ok = ok && textTypes[typ]
	case OpIs:
	default:
		ok = false
	}
	c.userCode = c.userCode || !ok
}

// ordersBuiltin notes an order on field f of lvl: unless PostgreSQL
// itself orders its type, the database's operator class may.
func (c *compiler) ordersBuiltin(lvl *level, f Field) {
	typ, ok := c.builtinType(lvl, f)
	c.userCode = c.userCode || !ok || !comparableTypes[typ]
}

// builtinType is the type of field f of lvl, a column of a built-in type
// with its JSON path, if it is one.
func (c *compiler) builtinType(lvl *level, f Field) (string, bool) {
	col := lvl.rel.Column(f.Name)
	if col == nil || !col.BuiltinType {
		return "", false
	}
	typ := col.BaseType
	if n := len(f.JSON); n > 0 {
		switch {
		case typ != "json" && typ != "jsonb":
			return "", false
		case f.JSON[n-1].Arrow == ArrowText:
			typ = "text"
		}
	}
	return typ, true
}

// compileRead compiles GET and HEAD on a relation.
func (c *compiler) compileRead(media MediaType) (*Statement, error) {
	rel, err := c.relation(c.req.Target.Name)
	if err != nil {
		return nil, err
	}
	if media.Kind == MediaGeoJSON && !c.sc.PostGIS {
		return nil, clientError(http.StatusNotAcceptable, CodeNotAcceptable,
			"None of these media types are available: application/geo+json", "PostGIS is not installed in this database", "")
	}
	c.reads(rel)
	if media.Kind == MediaGeoJSON {
		c.userCode = true // PostGIS
	}
	root := &level{rel: rel, alias: "t0", items: c.req.Query.Select}
	rng := c.req.Range
	if c.cfg.MaxRows > 0 && (rng.Limit == NoLimit || rng.Limit > c.cfg.MaxRows) {
		rng.Limit = c.cfg.MaxRows
	}
	q, err := c.buildLevel(root, rel.Sanitize()+" t0", nil, rng)
	if err != nil {
		return nil, err
	}
	sql := "SELECT " + c.totalExpr(q) + " AS total, count(*) AS n, " + c.bodyExpr(media, q.outCols()) + " AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (" + q.sql() + ") x"
	st := c.statement(sql)
	st.BuiltinOnly = !c.userCode
	if st.Explain, err = c.explainCount(root.rel, root.items, rel.Sanitize()+" t0", nil); err != nil {
		return nil, err
	}
	return st, nil
}

// totalExpr is the total column: the exact count for count=exact, the
// exact count up to max-rows and one more for count=estimated (past
// max-rows the planner's estimate may take over), none for count=planned.
func (c *compiler) totalExpr(q *rowsQuery) string {
	switch c.req.Prefer.Count {
	case CountExact:
		return "(" + q.countSQL() + ")"
	case CountEstimated:
		if c.cfg.MaxRows > 0 {
			return "(" + q.cappedCountSQL(c.Bind(c.cfg.MaxRows+1)) + ")"
		}
		return "(" + q.countSQL() + ")"
	}
	return "NULL::int8"
}

// explainCount is the EXPLAIN of every row the request reads, without its
// range, compiled on its own so that it binds only the parameters it uses
// (fromArgs are those of from); nil unless the count is planned or
// estimated.
func (c *compiler) explainCount(rel *Relation, items []SelectItem, from string, fromArgs []any) (*Statement, error) {
	if c.req.Prefer.Count != CountPlanned && c.req.Prefer.Count != CountEstimated {
		return nil, nil
	}
	ec := newCompiler(c.sc, c.cfg, c.schema, c.req)
	ec.SetArgs(slices.Clone(fromArgs))
	q, err := ec.buildLevel(&level{rel: rel, alias: "t0", items: items, noRowType: rel.Synthetic}, from, nil, AllRows)
	if err != nil {
		return nil, err
	}
	return &Statement{SQL: "EXPLAIN (FORMAT JSON) " + q.sql(), Args: ec.Args()}, nil
}
