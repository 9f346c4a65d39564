package graphql

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/catalog"
)

// pg_graphql reads @graphql comment directives from more objects than the
// schema cache keeps comments of: the schema itself, foreign key
// constraints and enum types. catalogComments carries those, read once per
// schema cache snapshot in one small catalog query.
type catalogComments struct {
	// Schema is the exposed schema's comment.
	Schema string `json:"schema"`
	// FKs are the comments of foreign keys, by constrained table and
	// constraint name.
	FKs []struct {
		Schema  string `json:"schema"`
		Table   string `json:"table"`
		Name    string `json:"name"`
		Comment string `json:"comment"`
	} `json:"fks"`
	// Types are the comments of enum types, by type name.
	Types []struct {
		Name    string `json:"name"`
		Comment string `json:"comment"`
	} `json:"types"`
}

// catalogCommentsSQL reads the comments with a @graphql directive; $1 is the
// exposed schema.
const catalogCommentsSQL = `select json_build_object(
  'schema', coalesce((select d.description from pg_namespace n
      join pg_description d on d.objoid = n.oid and d.classoid = 'pg_namespace'::regclass
      where n.nspname = $1::text), ''),
  'fks', coalesce((select json_agg(json_build_object('schema', n.nspname, 'table', c.relname, 'name', con.conname, 'comment', d.description))
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_description d on d.objoid = con.oid and d.classoid = 'pg_constraint'::regclass
      where con.contype = 'f' and strpos(d.description, '@graphql(') > 0), '[]'),
  'types', coalesce((select json_agg(json_build_object('name', t.typname, 'comment', d.description))
      from pg_type t
      join pg_description d on d.objoid = t.oid and d.classoid = 'pg_type'::regclass
      where t.typtype = 'e' and strpos(d.description, '@graphql(') > 0), '[]'))`

// loadComments reads the catalog comments of project ref.
func (s *Server) loadComments(ctx context.Context, ref, schema string) (*catalogComments, error) {
	var out []byte
	err := s.opts.Gate.ReadCatalog(ctx, ref, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, catalogCommentsSQL, schema).Scan(&out)
	})
	if err != nil {
		return nil, fmt.Errorf("reading comment directives: %w", err)
	}
	var cc catalogComments
	if err := json.Unmarshal(out, &cc); err != nil {
		return nil, fmt.Errorf("reading comment directives: %w", err)
	}
	return &cc, nil
}

// fkKey names a foreign key by its constrained relation and name.
type fkKey struct {
	rel  catalog.QName
	name string
}

// commentIndex is catalogComments parsed, ready for the schema builder.
type commentIndex struct {
	// schema is the exposed schema's directive.
	schema commentDirective
	fks    map[fkKey]commentDirective
	enums  map[string]commentDirective
	// inflect is the schema's inflect_names.
	inflect bool
}

func indexComments(cc *catalogComments) commentIndex {
	ix := commentIndex{fks: map[fkKey]commentDirective{}, enums: map[string]commentDirective{}}
	if cc == nil {
		return ix
	}
	ix.schema, _ = directive(cc.Schema)
	ix.inflect = ix.schema.InflectNames
	for _, fk := range cc.FKs {
		d, _ := directive(fk.Comment)
		ix.fks[fkKey{catalog.QName{Schema: fk.Schema, Name: fk.Table}, fk.Name}] = d
	}
	for _, t := range cc.Types {
		d, _ := directive(t.Comment)
		ix.enums[t.Name] = d
	}
	return ix
}

// fk is the directive of foreign key fk.
func (ix commentIndex) fk(fk *catalog.ForeignKey) commentDirective {
	return ix.fks[fkKey{fk.From.QName, fk.Name}]
}

// virtualFKs are the foreign keys a relation's foreign_keys directive
// declares (views have no constraints), with their names; keys naming an
// unexposed relation or unknown columns are left out.
func virtualFKs(m *model, t *table, d commentDirective) map[*catalog.ForeignKey]commentDirective {
	out := map[*catalog.ForeignKey]commentDirective{}
	for _, v := range d.ForeignKeys {
		schema := v.ForeignSchema
		if schema == "" {
			schema = t.rel.Schema
		}
		target := m.byRel[catalog.QName{Schema: schema, Name: v.ForeignTable}]
		if target == nil || len(v.LocalColumns) == 0 || len(v.LocalColumns) != len(v.ForeignColumns) {
			continue
		}
		ok := true
		for i := range v.LocalColumns {
			if t.rel.Column(v.LocalColumns[i]) == nil || target.rel.Column(v.ForeignColumns[i]) == nil {
				ok = false
			}
		}
		if !ok {
			continue
		}
		fk := &catalog.ForeignKey{From: t.rel, FromCols: v.LocalColumns, To: target.rel, ToCols: v.ForeignColumns}
		out[fk] = commentDirective{LocalName: v.LocalName, ForeignName: v.ForeignName}
	}
	return out
}
