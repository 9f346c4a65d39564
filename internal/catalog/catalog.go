package catalog

import (
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Catalog is one immutable snapshot of the exposed schemas of a project's
// database: what the APIs resolve names against. A reload builds a new
// Catalog and swaps it in; requests keep the snapshot they started with.
type Catalog struct {
	// Schemas are the exposed schemas, in configuration order.
	Schemas   []string
	Relations map[QName]*Relation
	// Functions by name; overloads share a name.
	Functions map[QName][]*Function
	// Types are the type names a cast may name ("int4", "public.mood").
	Types map[string]string
	// PostGIS is true when ST_AsGeoJSON is available.
	PostGIS  bool
	LoadedAt time.Time
	byOID    map[uint32]*Relation
}

// QName is a schema-qualified name.
type QName struct{ Schema, Name string }

func (q QName) String() string { return q.Schema + "." + q.Name }

// Sanitize quotes the name for SQL.
func (q QName) Sanitize() string { return pgx.Identifier{q.Schema, q.Name}.Sanitize() }

// Relation is a table, view, materialized view, foreign or partitioned table.
type Relation struct {
	QName
	OID  uint32
	Kind byte // 'r', 'v', 'm', 'p', 'f'
	// Description is the relation's comment.
	Description string
	Columns     []*Column
	cols        map[string]*Column
	PK          []string
	// FKs are the foreign keys of this relation; Referenced the foreign
	// keys of other relations that point at it.
	FKs        []*ForeignKey
	Referenced []*ForeignKey
	// Insertable is false for materialized views.
	Insertable bool
	// Synthetic marks the row type of a RETURNS TABLE function: no
	// relation of the database has it.
	Synthetic bool
	// RowSecurity is true when row-level security is enabled on the
	// relation (its policies may call functions).
	RowSecurity bool
}

// Column looks a column up by name.
func (r *Relation) Column(name string) *Column { return r.cols[name] }

// AddColumn appends c to the relation's columns.
func (r *Relation) AddColumn(c *Column) {
	if r.cols == nil {
		r.cols = map[string]*Column{}
	}
	r.Columns = append(r.Columns, c)
	r.cols[c.Name] = c
}

// New returns an empty catalog of schemas: [Load] fills one from a
// database; code that builds one in memory (fixtures) adds to it.
func New(schemas []string) *Catalog {
	return &Catalog{
		Schemas: schemas, Relations: map[QName]*Relation{}, Functions: map[QName][]*Function{},
		Types: map[string]string{}, byOID: map[uint32]*Relation{}, LoadedAt: time.Now(),
	}
}

// AddRelation adds r, found by its name and OID, with the columns it has.
func (sc *Catalog) AddRelation(r *Relation) {
	if r.cols == nil {
		r.cols = make(map[string]*Column, len(r.Columns))
		for _, c := range r.Columns {
			r.cols[c.Name] = c
		}
	}
	sc.Relations[r.QName] = r
	sc.byOID[r.OID] = r
}

// Column is one column of a relation.
type Column struct {
	Name     string
	Position int
	// Type is format_type's rendering (schema-qualified where needed).
	Type string
	// BaseType is the pg_type name ("int4", "text", "geometry").
	BaseType    string
	Nullable    bool
	Default     string // the default expression, "" when none
	Generated   bool
	Identity    bool
	Enum        []string
	Description string
	// BuiltinType is true when the column's type is one of PostgreSQL's
	// own base, range or multirange types (arrays of them included), made
	// by initdb: reading, comparing and printing it runs none of the
	// database's functions. A domain (whose checks may call functions), an
	// enum or composite (which may have a cast to json) or an extension's
	// type is not.
	BuiltinType bool
}

// ForeignKey is a foreign key constraint between two exposed relations.
type ForeignKey struct {
	Name     string
	From     *Relation
	FromCols []string
	To       *Relation
	ToCols   []string
}

// OneToOne reports whether fk's columns are its referencing relation's
// primary key, so it embeds as an object both ways.
func (fk *ForeignKey) OneToOne() bool {
	pk := slices.Clone(fk.From.PK)
	cols := slices.Clone(fk.FromCols)
	slices.Sort(pk)
	slices.Sort(cols)
	return len(pk) > 0 && slices.Equal(pk, cols)
}

// Function is a function of an exposed schema.
type Function struct {
	QName
	OID uint32
	// Volatility is 'i' (immutable), 's' (stable) or 'v' (volatile).
	Volatility byte
	SetOf      bool
	// Args are the input arguments, in order.
	Args        []FuncArg
	NumDefaults int
	Variadic    bool
	// ReturnType is format_type of the return type.
	ReturnType string
	// ReturnRel is the relation whose rows the function returns, nil for a
	// scalar or void function.
	ReturnRel *Relation
	// Void is true for RETURNS void.
	Void        bool
	Description string
	// Rows is the ROWS estimate; a set-returning function with ROWS 1 is
	// a to-one computed relationship, as in PostgREST.
	Rows float64
	// RowArg is the relation of the single row-type argument: a computed
	// field or relationship of that relation.
	RowArg *Relation
}

// FuncArg is one input argument of a function.
type FuncArg struct {
	Name string
	Type string
	// Required is false for arguments with a default.
	Required bool
}

// Relation finds a relation of schema s.
func (sc *Catalog) Relation(s, name string) *Relation { return sc.Relations[QName{s, name}] }
