package rest

import (
	"slices"
	"strings"
)

// relKind is the cardinality of an embedding.
type relKind uint8

const (
	relManyToOne relKind = iota
	relOneToMany
	relManyToMany
	relComputed
)

// relationship is one way to embed Target in a parent relation.
type relationship struct {
	kind   relKind
	parent *Relation
	target *Relation
	// fk is the foreign key: parent→target for many-to-one, target→parent
	// for one-to-many, junction→parent for many-to-many.
	fk *ForeignKey
	// fk2 is the junction→target key of a many-to-many relationship.
	fk2 *ForeignKey
	fn  *Function
}

func (r *relationship) toOne() bool {
	if r.kind == relComputed {
		return !r.fn.SetOf || r.fn.Rows == 1
	}
	return r.kind == relManyToOne || (r.kind == relOneToMany && r.fk.OneToOne())
}

// self reports whether the relationship is a table's foreign key to
// itself, which PostgREST sees both ways: many-to-one and one-to-many.
func (r *relationship) self() bool {
	return (r.kind == relManyToOne || r.kind == relOneToMany) && r.fk.From == r.fk.To
}

// columns are the relationship's column pairs as PostgREST lists them:
// the parent's column, then the target's.
func (r *relationship) columns() (parent, target []string) {
	if r.kind == relManyToOne {
		return r.fk.FromCols, r.fk.ToCols
	}
	return r.fk.ToCols, r.fk.FromCols
}

// singleCol is the parent's (side 0) or the target's (side 1) column of a
// one-column foreign key relationship, or "".
func (r *relationship) singleCol(side int) string {
	if r.kind != relManyToOne && r.kind != relOneToMany || len(r.fk.FromCols) != 1 {
		return ""
	}
	p, t := r.columns()
	if side == 0 {
		return p[0]
	}
	return t[0]
}

// constraint is the foreign key's name, "" for many-to-many and computed.
func (r *relationship) constraint() string {
	if r.kind != relManyToOne && r.kind != relOneToMany {
		return ""
	}
	return r.fk.Name
}

// hintName is what disambiguates the relationship after '!'.
func (r *relationship) hintName() string {
	switch r.kind {
	case relManyToMany:
		return r.fk.From.Name
	case relComputed:
		return r.fn.Name
	}
	return r.fk.Name
}

func (r *relationship) cardinality() string {
	switch {
	case r.kind == relManyToMany:
		return "many-to-many"
	case r.fk.OneToOne() && (r.kind == relManyToOne || r.kind == relOneToMany):
		return "one-to-one"
	case r.kind == relManyToOne:
		return "many-to-one"
	}
	return "one-to-many"
}

// relDetail is one element of PGRST201's details, as PostgREST writes it.
type relDetail struct {
	Cardinality  string `json:"cardinality"`
	Embedding    string `json:"embedding"`
	Relationship string `json:"relationship"`
}

func (r *relationship) detail() relDetail {
	d := relDetail{Cardinality: r.cardinality(), Embedding: r.parent.Name + " with " + r.target.Name}
	cols := func(c []string) string { return "(" + strings.Join(c, ", ") + ")" }
	if r.kind == relManyToMany {
		d.Relationship = r.fk.From.Name + " using " + r.fk.Name + cols(r.fk.FromCols) + " and " + r.fk2.Name + cols(r.fk2.FromCols)
		return d
	}
	p, t := r.columns()
	d.Relationship = r.fk.Name + " using " + r.parent.Name + cols(p) + " and " + r.target.Name + cols(t)
	return d
}

// allRelationships lists every way to embed a relation in parent:
// many-to-one, one-to-many and many-to-many through a
// junction whose two keys are part of its primary key, as PostgREST
// requires.
func (sc *Schema) allRelationships(parent *Relation) []*relationship {
	var out []*relationship
	for _, fk := range parent.FKs {
		out = append(out, &relationship{kind: relManyToOne, parent: parent, target: fk.To, fk: fk})
	}
	for _, fk := range parent.Referenced {
		out = append(out, &relationship{kind: relOneToMany, parent: parent, target: fk.From, fk: fk})
	}
	for _, fk1 := range parent.Referenced {
		j := fk1.From
		if j == parent {
			continue
		}
		for _, fk2 := range j.FKs {
			if fk2 != fk1 && fk2.To != j && subset(fk1.FromCols, j.PK) && subset(fk2.FromCols, j.PK) {
				out = append(out, &relationship{kind: relManyToMany, parent: parent, target: fk2.To, fk: fk1, fk2: fk2})
			}
		}
	}
	return out
}

// relationships lists the ways to embed target in parent, as PostgREST's
// findRel picks them: by the target relation's name, or (tables only) a
// foreign key's name or its one column; a hint narrows the first by
// constraint, column (either side) or junction. A self-reference is
// one-to-many by the table's name (hinted by the referencing column) and
// many-to-one by the column's name.
func (sc *Schema) relationships(parent *Relation, target, hint string) []*relationship {
	var out []*relationship
	if f := sc.Computed(parent.Schema, target, parent); f != nil && f.ReturnRel != nil && !f.ReturnRel.Synthetic {
		out = append(out, &relationship{kind: relComputed, parent: parent, target: f.ReturnRel, fn: f})
	}
	for _, r := range sc.allRelationships(parent) {
		if r.found(target, hint) {
			out = append(out, r)
		}
	}
	return out
}

func (r *relationship) found(target, hint string) bool {
	if r.self() {
		if hint == "" {
			return (r.kind == relOneToMany && r.target.Name == target) || (r.kind == relManyToOne && r.singleCol(0) == target)
		}
		return r.kind == relOneToMany && r.target.Name == target && r.singleCol(1) == hint
	}
	if hint == "" {
		table := r.target.Kind != 'v' && r.target.Kind != 'm'
		return r.target.Name == target || (table && target != "" && (r.constraint() == target || r.singleCol(0) == target))
	}
	return r.target.Name == target && (r.constraint() == hint || r.singleCol(0) == hint || r.singleCol(1) == hint ||
		(r.kind == relManyToMany && r.fk.From.Name == hint))
}

func subset(cols, of []string) bool {
	for _, c := range cols {
		if !slices.Contains(of, c) {
			return false
		}
	}
	return len(of) > 0
}
