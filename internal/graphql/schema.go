package graphql

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/magflock/mobo/internal/catalog"
)

// nameRE is a valid GraphQL name; relations and columns with other names
// are not exposed.
var nameRE = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// model is the GraphQL schema generated from one schema cache snapshot,
// with what the compiler needs to map it back to SQL.
type model struct {
	schema *ast.Schema
	sdl    string
	// tables by GraphQL type name, and by relation.
	tables map[string]*table
	byRel  map[catalog.QName]*table
	// roots map root field names to their tables and operation.
	roots map[string]rootField
	// prepared are the operations clients sent, ready to run.
	prepared preparedCache
}

type rootKind uint8

const (
	rootCollection rootKind = iota
	rootInsert
	rootUpdate
	rootDelete
	rootFunction
)

type rootField struct {
	kind  rootKind
	table *table
	fn    *function
}

// table is one exposed relation.
type table struct {
	rel  *catalog.Relation
	name string // the GraphQL type name
	cols map[string]*column
	// order is the columns in table order.
	order []*column
	rels  map[string]*relField
	// computed are the functions taking a row of the table, by field name.
	computed map[string]*function
	pk       []*column
	// totalCount is enabled by the @graphql({"totalCount": {"enabled":
	// true}}) comment directive, as in pg_graphql.
	totalCount  bool
	description string
	// pageSize is the max_rows directive, 0 when not set.
	pageSize int
	// directive is the relation's comment directive.
	directive commentDirective
}

type column struct {
	col *catalog.Column
	// name is the GraphQL field name: the column's, or its @graphql name.
	name        string
	description string
	// gql is the GraphQL type of the output field, without !.
	gql string
	// filter is the filter input type, "" when not filterable.
	filter string
	// text is true when the value is returned as a string (BigInt,
	// BigFloat, JSON).
	text bool
	// input is false for columns an insert or update cannot set.
	input bool
	// enumOut maps an enum's SQL labels to the GraphQL values its
	// mappings directive gives them, enumIn back; nil without mappings.
	enumOut, enumIn map[string]string
}

// enumType is the GraphQL enum type of enum column c (the type's name, or
// its @graphql name), setting col's value mappings; "" when a value or the
// name is not a GraphQL name.
func enumType(ix *commentIndex, c *catalog.Column, col *column) string {
	d := ix.enums[c.BaseType]
	name := c.BaseType
	if d.Name != "" {
		name = d.Name
	} else if ix.inflect {
		name = pascal(name)
	}
	if !nameRE.MatchString(name) {
		return ""
	}
	col.enumOut, col.enumIn = nil, nil
	if len(d.Mappings) > 0 {
		col.enumOut, col.enumIn = map[string]string{}, map[string]string{}
		for _, label := range c.Enum {
			v := label
			if mv, ok := d.Mappings[label]; ok {
				v = mv
			}
			if _, dup := col.enumIn[v]; dup {
				return ""
			}
			col.enumOut[label], col.enumIn[v] = v, label
		}
	}
	if !allNames(col.enumValues(c.Enum)) {
		return ""
	}
	return name
}

// enumValues are the GraphQL values of an enum's labels.
func (col *column) enumValues(labels []string) []string {
	if col.enumOut == nil {
		return labels
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = col.enumOut[l]
	}
	return out
}

type relField struct {
	fk *catalog.ForeignKey
	// many is true for a one-to-many connection.
	many bool
	// reverse is true when the parent is the referenced side.
	reverse bool
	target  *table
}

// scalarOf maps a pg_type name to pg_graphql's scalar.
func scalarOf(base string) (gql string, text bool) {
	switch base {
	case "int2", "int4":
		return "Int", false
	case "int8":
		return "BigInt", true
	case "float4", "float8":
		return "Float", false
	case "numeric":
		return "BigFloat", true
	case "text", "varchar", "bpchar", "name", "citext":
		return "String", false
	case "bool":
		return "Boolean", false
	case "uuid":
		return "UUID", false
	case "date":
		return "Date", false
	case "timestamp", "timestamptz":
		return "Datetime", false
	case "time", "timetz":
		return "Time", false
	case "json", "jsonb":
		return "JSON", true
	}
	return "Opaque", false
}

const preludeSDL = `
scalar BigInt
scalar BigFloat
scalar UUID
scalar Date
scalar Datetime
scalar Time
scalar JSON
scalar Opaque
scalar Cursor

interface Node {
  "Retrieves a record by ID"
  nodeId: ID!
}

enum FilterIs { NULL NOT_NULL }

"Defines a per-field sorting order"
enum OrderByDirection {
  "Ascending order, nulls first"
  AscNullsFirst
  "Ascending order, nulls last"
  AscNullsLast
  "Descending order, nulls first"
  DescNullsFirst
  "Descending order, nulls last"
  DescNullsLast
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}
`

// filterOps are the operators of each scalar filter type.
var filterOps = map[string][]string{
	"Int": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"}, "BigInt": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"},
	"Float": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"}, "BigFloat": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"},
	"String":  {"eq", "gt", "gte", "ilike", "in", "iregex", "is", "like", "lt", "lte", "neq", "regex", "startsWith"},
	"Boolean": {"eq", "is"}, "UUID": {"eq", "in", "is", "neq"},
	"Date": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"}, "Datetime": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"},
	"Time": {"eq", "gt", "gte", "in", "is", "lt", "lte", "neq"},
}

func filterSDL(b *strings.Builder, name, scalar string, ops []string) {
	fmt.Fprintf(b, "\"Boolean expression comparing fields on type `%s`\"\ninput %s {\n", scalar, name)
	for _, op := range ops {
		switch op {
		case "in":
			fmt.Fprintf(b, "  in: [%s!]\n", scalar)
		case "is":
			b.WriteString("  is: FilterIs\n")
		default:
			fmt.Fprintf(b, "  %s: %s\n", op, scalar)
		}
	}
	b.WriteString("}\n")
}

// buildModel generates the GraphQL schema of the relations of schema
// name in sc, with pg_graphql's naming (inflection off).
func buildModel(sc *catalog.Catalog, name string, cc *catalogComments) (*model, error) {
	ix := indexComments(cc)
	m := &model{tables: map[string]*table{}, byRel: map[catalog.QName]*table{}, roots: map[string]rootField{}}
	var b strings.Builder
	b.WriteString(preludeSDL)
	b.WriteString(idFilterSDL)
	scalars := make([]string, 0, len(filterOps))
	for s := range filterOps {
		scalars = append(scalars, s)
	}
	slices.Sort(scalars)
	for _, s := range scalars {
		filterSDL(&b, s+"Filter", s, filterOps[s])
	}
	enums := map[string][]string{}
	var rels []*catalog.Relation
	for q, r := range sc.Relations {
		// A relation without a primary key (a view) needs one from its
		// primary_key_columns directive.
		if d, _ := directive(r.Description); q.Schema == name && nameRE.MatchString(q.Name) && (len(r.PK) > 0 || len(d.PrimaryKeyColumns) > 0) {
			rels = append(rels, r)
		}
	}
	slices.SortFunc(rels, func(a, b *catalog.Relation) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range rels {
		td, tdesc := directive(r.Description)
		t := &table{
			rel: r, name: r.Name, cols: map[string]*column{}, rels: map[string]*relField{},
			totalCount: td.TotalCount.Enabled, description: tdesc, pageSize: td.MaxRows, directive: td,
		}
		if t.pageSize == 0 {
			t.pageSize = ix.schema.MaxRows
		}
		if td.Name != "" && nameRE.MatchString(td.Name) {
			t.name = td.Name
		} else if ix.inflect {
			t.name = pascal(r.Name)
		}
		if _, dup := m.tables[t.name]; dup || builtinTypes[t.name] {
			continue
		}
		pk := r.PK
		if len(td.PrimaryKeyColumns) > 0 {
			pk = td.PrimaryKeyColumns
		}
		if len(pk) == 0 {
			continue
		}
		for _, c := range r.Columns {
			cd, cdesc := directive(c.Description)
			name := c.Name
			if cd.Name != "" {
				name = cd.Name
			} else if ix.inflect {
				name = camel(c.Name)
			}
			if !nameRE.MatchString(name) || name == "nodeId" || t.cols[name] != nil {
				continue
			}
			col := &column{col: c, name: name, description: cdesc, input: !c.Generated && r.Insertable && r.Kind != 'v'}
			base := c.BaseType
			array := strings.HasPrefix(base, "_")
			switch {
			case len(c.Enum) > 0 && enumType(&ix, c, col) != "":
				col.gql = enumType(&ix, c, col)
				enums[col.gql] = col.enumValues(c.Enum)
				if _, dup := m.tables[col.gql]; !dup {
					col.filter = col.gql + "Filter"
				}
			case array:
				s, _ := scalarOf(strings.TrimPrefix(base, "_"))
				col.gql = "[" + s + "]"
				col.input = false
			default:
				col.gql, col.text = scalarOf(base)
				if _, ok := filterOps[col.gql]; ok {
					col.filter = col.gql + "Filter"
				}
			}
			if col.gql == "Opaque" {
				col.input = false
			}
			t.cols[name] = col
			t.order = append(t.order, col)
		}
		ok := true
		for _, k := range pk {
			col := t.columnBySQL(k)
			if col == nil {
				ok = false
			}
			t.pk = append(t.pk, col)
		}
		if !ok {
			continue
		}
		m.tables[t.name] = t
		m.byRel[r.QName] = t
	}
	// Relationship fields: many-to-one named for the column without _id
	// (or the target), one-to-many <target>Collection.
	names := func(t *table) []string {
		var out []string
		for _, c := range t.order {
			out = append(out, c.name)
		}
		return out
	}
	// Foreign keys views declare in their foreign_keys directive, and the
	// names directives give foreign keys.
	virtual := map[*catalog.ForeignKey]commentDirective{}
	virtualOut, virtualIn := map[*table][]*catalog.ForeignKey{}, map[*table][]*catalog.ForeignKey{}
	for _, t := range sortedTables(m) {
		vs := virtualFKs(m, t, t.directive)
		for fk, d := range vs {
			virtual[fk] = d
			virtualOut[t] = append(virtualOut[t], fk)
			virtualIn[m.byRel[fk.To.QName]] = append(virtualIn[m.byRel[fk.To.QName]], fk)
		}
	}
	for _, fks := range []map[*table][]*catalog.ForeignKey{virtualOut, virtualIn} {
		for _, list := range fks {
			slices.SortFunc(list, func(a, b *catalog.ForeignKey) int {
				return strings.Compare(a.From.Name+strings.Join(a.FromCols, ","), b.From.Name+strings.Join(b.FromCols, ","))
			})
		}
	}
	fkNames := func(fk *catalog.ForeignKey) commentDirective {
		if d, ok := virtual[fk]; ok {
			return d
		}
		return ix.fk(fk)
	}
	for _, t := range sortedTables(m) {
		taken := map[string]bool{"nodeId": true, "__typename": true}
		for _, n := range names(t) {
			taken[n] = true
		}
		for _, fk := range slices.Concat(t.rel.FKs, virtualOut[t]) {
			target := m.byRel[fk.To.QName]
			if target == nil {
				continue
			}
			n := lowerFirst(target.name)
			if len(fk.FromCols) == 1 && strings.HasSuffix(fk.FromCols[0], "_id") && len(fk.FromCols[0]) > 3 {
				n = strings.TrimSuffix(fk.FromCols[0], "_id")
				if ix.inflect {
					n = camel(n)
				}
			}
			if d := fkNames(fk); nameRE.MatchString(d.ForeignName) && !taken[d.ForeignName] {
				n = d.ForeignName
			}
			for taken[n] {
				n += "_"
			}
			taken[n] = true
			t.rels[n] = &relField{fk: fk, target: target}
		}
		for _, fk := range slices.Concat(t.rel.Referenced, virtualIn[t]) {
			src := m.byRel[fk.From.QName]
			if src == nil {
				continue
			}
			one := fk.OneToOne()
			n := lowerFirst(src.name) + "Collection"
			if one {
				n = lowerFirst(src.name)
			}
			if d := fkNames(fk); nameRE.MatchString(d.LocalName) && !taken[d.LocalName] {
				n = d.LocalName
			}
			for taken[n] {
				n = strings.TrimSuffix(n, "Collection") + "_" + strings.Join(fk.FromCols, "_")
				if !one {
					n += "Collection"
				}
			}
			taken[n] = true
			t.rels[n] = &relField{fk: fk, many: !one, reverse: true, target: src}
		}
	}
	enumNames := make([]string, 0, len(enums))
	for e := range enums {
		enumNames = append(enumNames, e)
	}
	slices.Sort(enumNames)
	for _, e := range enumNames {
		fmt.Fprintf(&b, "enum %s {\n  %s\n}\n", e, strings.Join(enums[e], "\n  "))
		filterSDL(&b, e+"Filter", e, []string{"eq", "in", "is", "neq"})
	}
	fns := buildFunctions(m, sc, name, ix.inflect)
	var query, mutation strings.Builder
	query.WriteString("type Query {\n  \"Retrieve a record by its `ID`\"\n  node(\"The record's `ID`\" nodeId: ID!): Node\n")
	for _, t := range sortedTables(m) {
		writeTable(&b, t)
		fmt.Fprintf(&query, "  \"A pagable collection of type `%s`\"\n  %sCollection(first: Int, last: Int, before: Cursor, after: Cursor, offset: Int, filter: %sFilter, orderBy: [%sOrderBy!]): %sConnection\n",
			t.name, lowerFirst(t.name), t.name, t.name, t.name)
		m.roots[lowerFirst(t.name)+"Collection"] = rootField{kind: rootCollection, table: t}
		if t.rel.Kind == 'v' || !t.rel.Insertable || !hasInput(t) {
			continue
		}
		fmt.Fprintf(&mutation, "  \"Adds one or more `%s` records to the collection\"\n  insertInto%sCollection(objects: [%sInsertInput!]!): %sInsertResponse\n", t.name, t.name, t.name, t.name)
		fmt.Fprintf(&mutation, "  \"Updates zero or more records in the `%s` collection\"\n  update%sCollection(set: %sUpdateInput!, filter: %sFilter, atMost: Int! = 1): %sUpdateResponse!\n", t.name, t.name, t.name, t.name, t.name)
		fmt.Fprintf(&mutation, "  \"Deletes zero or more records from the `%s` collection\"\n  deleteFrom%sCollection(filter: %sFilter, atMost: Int! = 1): %sDeleteResponse!\n", t.name, t.name, t.name, t.name)
		m.roots["insertInto"+t.name+"Collection"] = rootField{kind: rootInsert, table: t}
		m.roots["update"+t.name+"Collection"] = rootField{kind: rootUpdate, table: t}
		m.roots["deleteFrom"+t.name+"Collection"] = rootField{kind: rootDelete, table: t}
	}
	addRootFunctions(m, fns, &query, &mutation)
	query.WriteString("}\n")
	b.WriteString(query.String())
	if mutation.Len() > 0 {
		b.WriteString("type Mutation {\n" + mutation.String() + "}\n")
	}
	m.sdl = b.String()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: m.sdl})
	if err != nil {
		return nil, fmt.Errorf("generating the GraphQL schema: %w", err)
	}
	m.schema = s
	return m, nil
}

func allNames(ss []string) bool {
	for _, s := range ss {
		if !nameRE.MatchString(s) || s == "true" || s == "false" || s == "null" {
			return false
		}
	}
	return true
}

func hasInput(t *table) bool {
	for _, c := range t.order {
		if c.input {
			return true
		}
	}
	return false
}

func sortedTables(m *model) []*table {
	out := make([]*table, 0, len(m.tables))
	for _, t := range m.tables {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *table) int { return strings.Compare(a.name, b.name) })
	return out
}

func description(b *strings.Builder, d string) {
	if d != "" {
		fmt.Fprintf(b, "%q\n", d)
	}
}

func writeTable(b *strings.Builder, t *table) {
	n := t.name
	description(b, t.description)
	fmt.Fprintf(b, "type %s implements Node {\n  \"Globally Unique Record Identifier\"\n  nodeId: ID!\n", n)
	for _, c := range t.order {
		nn := ""
		if !c.col.Nullable {
			nn = "!"
		}
		if c.description != "" {
			fmt.Fprintf(b, "  %q\n", c.description)
		}
		fmt.Fprintf(b, "  %s: %s%s\n", c.name, c.gql, nn)
	}
	relNames := make([]string, 0, len(t.rels))
	for k := range t.rels {
		relNames = append(relNames, k)
	}
	slices.Sort(relNames)
	for _, k := range relNames {
		r := t.rels[k]
		tn := r.target.name
		if r.many {
			fmt.Fprintf(b, "  %s(first: Int, last: Int, before: Cursor, after: Cursor, offset: Int, filter: %sFilter, orderBy: [%sOrderBy!]): %sConnection\n", k, tn, tn, tn)
		} else {
			// A many-to-one over non-null columns is non-null, as in
			// pg_graphql.
			nn := ""
			if !r.reverse && notNull(t, r.fk.FromCols) {
				nn = "!"
			}
			fmt.Fprintf(b, "  %s: %s%s\n", k, tn, nn)
		}
	}
	compNames := make([]string, 0, len(t.computed))
	for k := range t.computed {
		compNames = append(compNames, k)
	}
	slices.Sort(compNames)
	for _, k := range compNames {
		fn := t.computed[k]
		if fn.description != "" {
			fmt.Fprintf(b, "  %q\n", fn.description)
		}
		fmt.Fprintf(b, "  %s%s: %s\n", k, fn.argsSDL(), fn.typeSDL())
	}
	b.WriteString("}\n")
	fmt.Fprintf(b, "type %sEdge {\n  cursor: String!\n  node: %s!\n}\n", n, n)
	fmt.Fprintf(b, "type %sConnection {\n  edges: [%sEdge!]!\n  pageInfo: PageInfo!\n", n, n)
	if t.directive.Aggregate.Enabled {
		fmt.Fprintf(b, "  \"Aggregate functions over the records matching the `filter` criteria\"\n  aggregate: %sAggregate\n", n)
	}
	if t.totalCount {
		b.WriteString("  \"The total number of records matching the `filter` criteria\"\n  totalCount: Int!\n")
	}
	b.WriteString("}\n")
	if t.directive.Aggregate.Enabled {
		writeAggregateSDL(b, t)
	}
	fmt.Fprintf(b, "input %sFilter {\n  nodeId: IDFilter\n", n)
	for _, c := range t.order {
		if c.filter != "" {
			fmt.Fprintf(b, "  %s: %s\n", c.name, c.filter)
		}
	}
	fmt.Fprintf(b, "  \"Returns true only if all its inner filters are true, otherwise returns false\"\n  and: [%sFilter!]\n  \"Returns true if at least one of its inner filters is true, otherwise returns false\"\n  or: [%sFilter!]\n  \"Negates a filter\"\n  not: %sFilter\n}\n", n, n, n)
	fmt.Fprintf(b, "input %sOrderBy {\n", n)
	for _, c := range t.order {
		if c.filter != "" {
			fmt.Fprintf(b, "  %s: OrderByDirection\n", c.name)
		}
	}
	b.WriteString("}\n")
	if t.rel.Kind == 'v' || !t.rel.Insertable || !hasInput(t) {
		return
	}
	for _, kind := range []string{"InsertInput", "UpdateInput"} {
		fmt.Fprintf(b, "input %s%s {\n", n, kind)
		for _, c := range t.order {
			if c.input {
				fmt.Fprintf(b, "  %s: %s\n", c.name, c.gql)
			}
		}
		b.WriteString("}\n")
	}
	for _, kind := range []string{"InsertResponse", "UpdateResponse", "DeleteResponse"} {
		fmt.Fprintf(b, "type %s%s {\n  \"Count of the records impacted by the mutation\"\n  affectedCount: Int!\n  \"Array of records impacted by the mutation\"\n  records: [%s!]!\n}\n", n, kind, n)
	}
}

const idFilterSDL = "input IDFilter {\n  eq: ID\n}\n"

// builtinTypes are the type names the generated schema defines itself.
var builtinTypes = map[string]bool{
	"Query": true, "Mutation": true, "Node": true, "PageInfo": true, "FilterIs": true, "OrderByDirection": true,
	"BigInt": true, "BigFloat": true, "UUID": true, "Date": true, "Datetime": true, "Time": true, "JSON": true,
	"Opaque": true, "Cursor": true, "IDFilter": true, "Int": true, "Float": true, "String": true, "Boolean": true, "ID": true,
}

func (t *table) columnBySQL(name string) *column {
	for _, c := range t.order {
		if c.col.Name == name {
			return c
		}
	}
	return nil
}

// commentDirective is pg_graphql's @graphql({...}) comment directive.
type commentDirective struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	TotalCount  struct {
		Enabled bool `json:"enabled"`
	} `json:"totalCount"`
	Aggregate struct {
		Enabled bool `json:"enabled"`
	} `json:"aggregate"`
	MaxRows           int      `json:"max_rows"`
	PrimaryKeyColumns []string `json:"primary_key_columns"`
	// ForeignName names a foreign key's to-one field on the referencing
	// type, LocalName its field on the referenced type.
	ForeignName string `json:"foreign_name"`
	LocalName   string `json:"local_name"`
	// ForeignKeys declares foreign keys a view lacks.
	ForeignKeys []struct {
		LocalName      string   `json:"local_name"`
		LocalColumns   []string `json:"local_columns"`
		ForeignName    string   `json:"foreign_name"`
		ForeignSchema  string   `json:"foreign_schema"`
		ForeignTable   string   `json:"foreign_table"`
		ForeignColumns []string `json:"foreign_columns"`
	} `json:"foreign_keys"`
	// Mappings rename an enum's values: SQL label to GraphQL value.
	Mappings map[string]string `json:"mappings"`
	// InflectNames (on the schema) turns snake_case names into PascalCase
	// types and camelCase fields.
	InflectNames bool `json:"inflect_names"`
}

// directive reads the @graphql directive of a comment and the description
// to show: the directive's, else the comment without the directive.
func directive(comment string) (commentDirective, string) {
	var d commentDirective
	i := strings.Index(comment, "@graphql(")
	if i < 0 {
		return d, strings.TrimSpace(comment)
	}
	rest := comment[i+len("@graphql("):]
	dec := json.NewDecoder(strings.NewReader(rest))
	if err := dec.Decode(&d); err != nil {
		return commentDirective{}, strings.TrimSpace(comment)
	}
	end := i + len("@graphql(") + int(dec.InputOffset())
	tail := strings.TrimPrefix(strings.TrimLeft(comment[end:], " \t\n"), ")")
	desc := strings.TrimSpace(strings.TrimSpace(comment[:i]) + " " + strings.TrimSpace(tail))
	if d.Description != "" {
		desc = d.Description
	}
	if d.MaxRows < 0 {
		d.MaxRows = 0
	}
	return d, desc
}

func notNull(t *table, cols []string) bool {
	for _, n := range cols {
		c := t.columnBySQL(n)
		if c == nil || c.col.Nullable {
			return false
		}
	}
	return true
}

// pascal and camel are pg_graphql's inflection (the inflect_names schema
// directive): blog_post is BlogPost as a type, blogPost as a field; each
// part between underscores is capitalized, the rest of it lowercased.
func pascal(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(strings.ToLower(part[1:]))
	}
	return b.String()
}

func camel(s string) string { return lowerFirst(pascal(s)) }

// lowerFirst lowercases a name's first letter, as pg_graphql names the
// fields of a type: Label's collection is labelCollection.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
