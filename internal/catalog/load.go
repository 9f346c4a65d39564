package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// schemaQueries are the catalog queries of a load, sent as one batch. $1 is
// the exposed schemas.
const (
	queryRelations = `select c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text,
  coalesce(obj_description(c.oid, 'pg_class'), ''), c.relrowsecurity
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any($1::text[]) and c.relkind in ('r','v','m','p','f')`

	queryColumns = `select a.attrelid::int8, a.attname::text, a.attnum::int, format_type(a.atttypid, a.atttypmod),
  coalesce(bt.typname, t.typname)::text, not a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
  a.attgenerated <> '', a.attidentity <> '',
  coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '{}'),
  coalesce(col_description(a.attrelid, a.attnum), ''),
  t.oid < 16384 and t.typtype in ('b', 'r', 'm')
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where n.nspname = any($1::text[]) and c.relkind in ('r','v','m','p','f') and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum`

	queryConstraints = `select con.conname::text, con.contype::text, con.conrelid::int8, con.confrelid::int8,
  array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i),
  coalesce(array(select a.attname::text from unnest(con.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i), '{}')
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
where con.contype in ('p', 'f') and n.nspname = any($1::text[])
order by con.conrelid, con.conname`

	queryFunctions = `select p.oid::int8, n.nspname::text, p.proname::text, p.provolatile::text, p.proretset,
  format_type(p.prorettype, null), rt.typtype::text, rt.typrelid::int8, rt.typname::text, p.pronargdefaults::int,
  p.provariadic <> 0, coalesce(obj_description(p.oid, 'pg_proc'), ''), p.prorows::float8,
  coalesce((select json_agg(json_build_object('name', coalesce(p.proargnames[k.i], ''), 'type', format_type(k.t, null),
     'relid', tt.typrelid::int8, 'mode', coalesce(p.proargmodes[k.i], 'i')) order by k.i)
   from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality k(t, i) join pg_type tt on tt.oid = k.t), '[]')
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
where n.nspname = any($1::text[]) and p.prokind = 'f'`

	// queryViewBases lists the relations each exposed view reads.
	queryViewBases = `select distinct v.oid::int8, t.oid::int8
from pg_class v
join pg_namespace n on n.oid = v.relnamespace
join pg_rewrite r on r.ev_class = v.oid
join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
join pg_class t on t.oid = d.refobjid and t.relkind in ('r', 'p', 'f', 'v', 'm')
where v.relkind in ('v', 'm') and n.nspname = any($1::text[]) and t.oid <> v.oid`

	queryTypes = `select t.typname::text, n.nspname::text
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where (n.nspname = 'pg_catalog' or n.nspname = any($1::text[])) and t.typtype in ('b', 'e', 'd', 'r', 'm', 'c')
  and t.typname !~ '^(_|pg_)'
union all select 'st_asgeojson', 'postgis' where exists (select from pg_proc where proname = 'st_asgeojson')`
)

// Querier is what a load needs from a connection or pool.
type Querier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Load reads the catalog of the exposed schemas in one round trip.
func Load(ctx context.Context, q Querier, schemas []string) (*Catalog, error) {
	b := &pgx.Batch{}
	for _, s := range []string{queryRelations, queryColumns, queryConstraints, queryViewBases, queryFunctions, queryTypes} {
		b.Queue(s, schemas)
	}
	br := q.SendBatch(ctx, b)
	defer br.Close() //nolint:errcheck // errors surface through the reads below
	sc := New(schemas)
	if err := sc.readRelations(br); err != nil {
		return nil, fmt.Errorf("loading relations: %w", err)
	}
	if err := sc.readColumns(br); err != nil {
		return nil, fmt.Errorf("loading columns: %w", err)
	}
	if err := sc.readConstraints(br); err != nil {
		return nil, fmt.Errorf("loading constraints: %w", err)
	}
	if err := sc.readViewBases(br); err != nil {
		return nil, fmt.Errorf("loading view dependencies: %w", err)
	}
	if err := sc.readFunctions(br); err != nil {
		return nil, fmt.Errorf("loading functions: %w", err)
	}
	if err := sc.readTypes(br); err != nil {
		return nil, fmt.Errorf("loading types: %w", err)
	}
	return sc, nil
}

func (sc *Catalog) readRelations(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			oid  int64
			r    = &Relation{}
			kind string
		)
		if err := rows.Scan(&oid, &r.Schema, &r.Name, &kind, &r.Description, &r.RowSecurity); err != nil {
			return err
		}
		r.OID, r.Kind = uint32(oid), kind[0] //nolint:gosec // oids are 32-bit
		r.Insertable = r.Kind != 'm'
		sc.AddRelation(r)
	}
	return rows.Err()
}

func (sc *Catalog) readColumns(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			oid int64
			c   = &Column{}
		)
		if err := rows.Scan(&oid, &c.Name, &c.Position, &c.Type, &c.BaseType, &c.Nullable, &c.Default,
			&c.Generated, &c.Identity, &c.Enum, &c.Description, &c.BuiltinType); err != nil {
			return err
		}
		if r := sc.byOID[uint32(oid)]; r != nil { //nolint:gosec // oids are 32-bit
			r.AddColumn(c)
		}
	}
	return rows.Err()
}

func (sc *Catalog) readConstraints(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name, typ    string
			from, to     int64
			fcols, tcols []string
		)
		if err := rows.Scan(&name, &typ, &from, &to, &fcols, &tcols); err != nil {
			return err
		}
		fr := sc.byOID[uint32(from)] //nolint:gosec // oids are 32-bit
		if fr == nil {
			continue
		}
		switch typ {
		case "p":
			fr.PK = fcols
		case "f":
			tr := sc.byOID[uint32(to)] //nolint:gosec // oids are 32-bit
			if tr == nil {
				continue
			}
			fk := &ForeignKey{Name: name, From: fr, FromCols: fcols, To: tr, ToCols: tcols}
			fr.FKs = append(fr.FKs, fk)
			tr.Referenced = append(tr.Referenced, fk)
		}
	}
	return rows.Err()
}

// readViewBases gives a view that reads exactly one relation the foreign
// keys of that relation whose columns the view exposes under the same
// names, so views embed like their tables.
func (sc *Catalog) readViewBases(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	bases := map[*Relation][]*Relation{}
	for rows.Next() {
		var v, t int64
		if err := rows.Scan(&v, &t); err != nil {
			rows.Close()
			return err
		}
		vr, tr := sc.byOID[uint32(v)], sc.byOID[uint32(t)] //nolint:gosec // oids are 32-bit
		if vr != nil && tr != nil {
			bases[vr] = append(bases[vr], tr)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	has := func(r *Relation, cols []string) bool {
		for _, c := range cols {
			if r.cols[c] == nil {
				return false
			}
		}
		return true
	}
	for view, bs := range bases {
		if len(bs) != 1 {
			continue
		}
		base := bs[0]
		for _, fk := range slices.Clone(base.FKs) {
			if has(view, fk.FromCols) && fk.To != view {
				k := &ForeignKey{Name: fk.Name, From: view, FromCols: fk.FromCols, To: fk.To, ToCols: fk.ToCols}
				view.FKs = append(view.FKs, k)
				fk.To.Referenced = append(fk.To.Referenced, k)
			}
		}
		for _, fk := range slices.Clone(base.Referenced) {
			if has(view, fk.ToCols) && fk.From != view {
				k := &ForeignKey{Name: fk.Name, From: fk.From, FromCols: fk.FromCols, To: view, ToCols: fk.ToCols}
				fk.From.FKs = append(fk.From.FKs, k)
				view.Referenced = append(view.Referenced, k)
			}
		}
		if len(view.PK) == 0 && has(view, base.PK) {
			view.PK = base.PK
		}
	}
	return nil
}

func (sc *Catalog) readFunctions(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			oid, retRel           int64
			vol, retKind, retName string
			argsJSON              []byte
			f                     = &Function{}
		)
		if err := rows.Scan(&oid, &f.Schema, &f.Name, &vol, &f.SetOf, &f.ReturnType, &retKind, &retRel, &retName,
			&f.NumDefaults, &f.Variadic, &f.Description, &f.Rows, &argsJSON); err != nil {
			return err
		}
		f.OID, f.Volatility = uint32(oid), vol[0] //nolint:gosec // oids are 32-bit
		var args []struct {
			Name, Type, Mode string
			Relid            int64
		}
		if err := json.Unmarshal(argsJSON, &args); err != nil {
			return err
		}
		var out []*Column
		for _, a := range args {
			switch a.Mode {
			case "i", "b", "v":
				f.Args = append(f.Args, FuncArg{Name: a.Name, Type: a.Type})
			}
			if a.Mode == "o" || a.Mode == "b" || a.Mode == "t" {
				out = append(out, &Column{Name: a.Name, Type: a.Type, Position: len(out) + 1, Nullable: true})
			}
		}
		for i := range f.Args {
			f.Args[i].Required = i < len(f.Args)-f.NumDefaults
		}
		if len(f.Args) == 1 {
			for _, a := range args {
				if a.Mode == "i" && a.Relid != 0 {
					f.RowArg = sc.byOID[uint32(a.Relid)] //nolint:gosec // oids are 32-bit
				}
			}
		}
		switch {
		case retName == "void":
			f.Void = true
		case retKind == "c" && retRel != 0:
			f.ReturnRel = sc.byOID[uint32(retRel)] //nolint:gosec // oids are 32-bit
			if f.ReturnRel == nil {
				f.ReturnRel = &Relation{QName: QName{"", retName}, Synthetic: true, cols: map[string]*Column{}}
			}
		case retName == "record" && len(out) > 0:
			r := &Relation{QName: QName{"", f.Name}, Synthetic: true}
			for _, c := range out {
				r.AddColumn(c)
			}
			f.ReturnRel = r
		}
		sc.Functions[f.QName] = append(sc.Functions[f.QName], f)
	}
	return rows.Err()
}

func (sc *Catalog) readTypes(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, ns string
		if err := rows.Scan(&name, &ns); err != nil {
			return err
		}
		if ns == "postgis" && name == "st_asgeojson" {
			sc.PostGIS = true
			continue
		}
		if _, ok := sc.Types[name]; !ok || ns == "pg_catalog" {
			sc.Types[name] = ns
		}
		sc.Types[ns+"."+name] = ns
	}
	return rows.Err()
}

// typeAliases are the SQL-standard spellings of pg_catalog types.
var typeAliases = map[string]string{
	"integer": "int4", "int": "int4", "bigint": "int8", "smallint": "int2",
	"double precision": "float8", "real": "float4", "boolean": "bool", "decimal": "numeric",
	"character varying": "varchar", "character": "bpchar", "char": "bpchar",
	"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
	"timestamp": "timestamp", "time with time zone": "timetz", "time without time zone": "time",
}

// CastType resolves a cast's type name to quoted SQL, or "".
func (sc *Catalog) CastType(name string) string {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	if a, ok := typeAliases[n]; ok {
		n = a
	}
	ns, ok := sc.Types[n]
	if !ok {
		return ""
	}
	return pgx.Identifier{ns, n}.Sanitize()
}

// Function lookups -----------------------------------------------------------

// Computed finds a function of schema s named name taking one row of rel.
func (sc *Catalog) Computed(s, name string, rel *Relation) *Function {
	for _, f := range sc.Functions[QName{s, name}] {
		if f.RowArg == rel {
			return f
		}
	}
	return nil
}

// RelationNames lists the relation names of schema s, for hints.
func (sc *Catalog) RelationNames(s string) []string {
	var out []string
	for q := range sc.Relations {
		if q.Schema == s {
			out = append(out, q.Name)
		}
	}
	slices.Sort(out)
	return out
}
