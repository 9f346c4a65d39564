// Package sqlb is how MagFlock's compilers (REST's and GraphQL's) write
// SQL: a [Builder] binds every value as a parameter and names the
// statement's aliases; [Ident] and [QName] quote every name; and a select
// list is kept as typed [Column]s until it is written ([SelectList]), so
// that no compiler marks SQL text to find it again later (a name is data,
// and data may read like SQL: "a AS b", "x$$y", "s;t").
//
// What a compiler writes around these (keywords, operators, the shape of
// the statement) depends only on the request's shape, never on its values.
//
// A Builder is used by one goroutine; the functions are pure.
package sqlb

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Builder collects a statement's parameters and numbers its aliases. The
// zero value is ready to use.
type Builder struct {
	args    []any
	aliases int
}

// Bind binds v as the statement's next parameter and returns its
// placeholder ($1, $2, …).
func (b *Builder) Bind(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// Args are the bound values, in placeholder order.
func (b *Builder) Args() []any { return b.args }

// SetArgs replaces the bound values: a statement built from another's
// fragments starts from that statement's parameters.
func (b *Builder) SetArgs(args []any) { b.args = args }

// Alias returns a new alias, prefix followed by a number unique in the
// statement. prefix is the compiler's own constant, never a name from a
// request or the catalog.
func (b *Builder) Alias(prefix string) string {
	b.aliases++
	return prefix + strconv.Itoa(b.aliases)
}

// Ident quotes name as an SQL identifier.
func Ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// QName quotes schema.name.
func QName(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// Literal quotes s as an SQL string literal, for names from the catalog
// used as keys (a column's name as a json key); values from requests are
// bound with [Builder.Bind] instead.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Column is one column of a select list: an expression and the name it is
// given, kept apart until the list is written.
type Column struct {
	// Expr is the column's SQL expression.
	Expr string
	// Name is the output name, quoted when written.
	Name string
	// Agg marks an aggregate: a select list with one groups by the
	// others.
	Agg bool
	// JSON marks a json value, which has no equality: grouped by, it is
	// compared as jsonb.
	JSON bool
}

// SelectList writes cols as a select list ("expr AS name, …"). When one
// of them is an aggregate, the others are its grouping keys: groupBy lists
// their positions, and their json values are written as jsonb.
func SelectList(cols []Column) (list string, groupBy []string) {
	grouped := false
	for _, c := range cols {
		grouped = grouped || c.Agg
	}
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if grouped && c.JSON && !c.Agg {
			b.WriteString("(" + c.Expr + ")::jsonb")
		} else {
			b.WriteString(c.Expr)
		}
		b.WriteString(" AS ")
		b.WriteString(Ident(c.Name))
		if grouped && !c.Agg {
			groupBy = append(groupBy, strconv.Itoa(i+1))
		}
	}
	return b.String(), groupBy
}
