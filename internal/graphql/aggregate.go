package graphql

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// A table whose comment has @graphql({"aggregate": {"enabled": true}})
// gets pg_graphql's aggregate field on its connection: count, and sum and
// avg of its number columns, min and max of its ordered ones, over the
// rows the filter (and relationship) selects, whatever the page. The
// values come as PostgreSQL's json renders them (numbers stay numbers),
// as pg_graphql answers them.

// aggregateOps are the aggregate functions, in the order of the type.
var aggregateOps = []string{"sum", "avg", "min", "max"}

// aggregateType is the GraphQL type of op over a column of scalar gql, ""
// when op does not apply to it.
func aggregateType(op, gql string) string {
	switch op {
	case "sum":
		switch gql {
		case "Int":
			return "BigInt"
		case "BigInt", "BigFloat":
			return "BigFloat"
		case "Float":
			return "Float"
		}
	case "avg":
		switch gql {
		case "Int", "BigInt", "BigFloat":
			return "BigFloat"
		case "Float":
			return "Float"
		}
	case "min", "max":
		switch gql {
		case "Int", "BigInt", "Float", "BigFloat", "String", "Date", "Datetime", "Time":
			return gql
		}
	}
	return ""
}

// aggregateColumns are t's columns op applies to, in table order.
func aggregateColumns(t *table, op string) []*column {
	var out []*column
	for _, c := range t.order {
		if c.enumOut == nil && aggregateType(op, c.gql) != "" && !strings.HasPrefix(c.gql, "[") {
			out = append(out, c)
		}
	}
	return out
}

// writeAggregateSDL writes t's aggregate types.
func writeAggregateSDL(b *strings.Builder, t *table) {
	n := t.name
	fmt.Fprintf(b, "type %sAggregate {\n  \"The number of records matching the query\"\n  count: Int!\n", n)
	for _, op := range aggregateOps {
		if len(aggregateColumns(t, op)) > 0 {
			fmt.Fprintf(b, "  %s: %s%sAggregateResult\n", op, n, strings.ToUpper(op[:1])+op[1:])
		}
	}
	b.WriteString("}\n")
	for _, op := range aggregateOps {
		cols := aggregateColumns(t, op)
		if len(cols) == 0 {
			continue
		}
		fmt.Fprintf(b, "type %s%sAggregateResult {\n", n, strings.ToUpper(op[:1])+op[1:])
		for _, c := range cols {
			fmt.Fprintf(b, "  %s: %s\n", c.name, aggregateType(op, c.gql))
		}
		b.WriteString("}\n")
	}
}

// aggregate compiles the aggregate field of a connection of t over the
// rows of from at alias a that cond selects.
func (c *compiler) aggregate(t *table, f *ast.Field, from, a, cond string) string {
	def := c.m.schema.Types[t.name+"Aggregate"]
	var pairs []string
	for _, af := range c.collect(f.SelectionSet, def) {
		var e string
		switch af.Name {
		case "__typename":
			e = lit(def.Name)
		case "count":
			e = "count(*)"
		default:
			rdef := c.m.schema.Types[af.Definition.Type.Name()]
			var inner []string
			for _, cf := range c.collect(af.SelectionSet, rdef) {
				if cf.Name == "__typename" {
					inner = append(inner, lit(cf.Alias), lit(rdef.Name))
					continue
				}
				col := t.cols[cf.Name]
				// The schema offers only the columns the function applies
				// to; the name of the function is the field's.
				inner = append(inner, lit(cf.Alias), af.Name+"("+a+"."+ident(col.col.Name)+")")
			}
			e = jsonObject(inner)
		}
		pairs = append(pairs, lit(af.Alias), e)
	}
	return "(select " + jsonObject(pairs) + " from " + from + " " + a + " where " + cond + ")"
}
