package rest

import "slices"

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

func (r *relationship) hintName() string {
	switch r.kind {
	case relManyToMany:
		return r.fk.From.Name
	case relComputed:
		return r.fn.Name
	}
	return r.fk.Name
}

func (r *relationship) describe() string {
	switch r.kind {
	case relManyToOne:
		return "many-to-one " + r.target.Name
	case relOneToMany:
		return "one-to-many " + r.target.Name
	case relManyToMany:
		return "many-to-many " + r.target.Name + " through " + r.fk.From.Name
	}
	return "computed " + r.fn.Name
}

// relationships lists the ways to embed name (a relation, a foreign-key
// column or a computed relationship) in parent, filtered by hint.
func (sc *Schema) relationships(parent *Relation, name, hint string) []*relationship {
	var out []*relationship
	if f := sc.Computed(parent.Schema, name, parent); f != nil && f.ReturnRel != nil && !f.ReturnRel.Synthetic {
		out = append(out, &relationship{kind: relComputed, target: f.ReturnRel, fn: f})
	}
	target := sc.Relations[QName{Schema: parent.Schema, Name: name}]
	for _, fk := range parent.FKs {
		if fk.To == target || (len(fk.FromCols) == 1 && fk.FromCols[0] == name) {
			out = append(out, &relationship{kind: relManyToOne, target: fk.To, fk: fk})
		}
	}
	if target != nil {
		for _, fk := range parent.Referenced {
			if fk.From == target {
				out = append(out, &relationship{kind: relOneToMany, target: target, fk: fk})
			}
		}
		for _, fk1 := range parent.Referenced {
			j := fk1.From
			if j == parent || j == target {
				continue
			}
			for _, fk2 := range j.FKs {
				// A junction's two keys are part of its primary key, as
				// PostgREST requires.
				if fk2 != fk1 && fk2.To == target && subset(fk1.FromCols, j.PK) && subset(fk2.FromCols, j.PK) {
					out = append(out, &relationship{kind: relManyToMany, target: target, fk: fk1, fk2: fk2})
				}
			}
		}
	}
	if hint != "" {
		out = slices.DeleteFunc(out, func(r *relationship) bool { return !r.matches(hint) })
	}
	// A self-reference matches both ways: a column hint picks the
	// many-to-one side, the constraint name the one-to-many side.
	if len(out) == 2 && out[0].fk == out[1].fk && out[0].kind == relManyToOne && out[1].kind == relOneToMany {
		if hint == out[0].fk.Name {
			return out[1:]
		}
		if hint != "" {
			return out[:1]
		}
	}
	return out
}

func (r *relationship) matches(hint string) bool {
	switch r.kind {
	case relComputed:
		return r.fn.Name == hint
	case relManyToMany:
		return r.fk.From.Name == hint || r.fk.Name == hint || r.fk2.Name == hint
	}
	return r.fk.Name == hint || slices.Contains(r.fk.FromCols, hint) || slices.Contains(r.fk.ToCols, hint)
}

func subset(cols, of []string) bool {
	for _, c := range cols {
		if !slices.Contains(of, c) {
			return false
		}
	}
	return len(of) > 0
}
