package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
)

// serviceRole bypasses the OpenAPI document's filter: it sees everything.
const serviceRole = "service_role"

// OpenAPI builds the OpenAPI 3 description of schema s of the cache: a path
// per relation and function, a component schema per relation, with what acc
// lets its principal use (nil: everything), as PostgREST shows a role only
// what it may use.
func OpenAPI(sc *Schema, s string, acc *access) map[string]any {
	paths := map[string]any{
		"/": map[string]any{"get": map[string]any{
			"summary":   "OpenAPI description (this document)",
			"tags":      []string{"Introspection"},
			"responses": map[string]any{"200": map[string]any{"description": "OK"}},
		}},
	}
	schemas := map[string]any{}
	var names []string
	for q := range sc.Relations {
		if q.Schema == s {
			names = append(names, q.Name)
		}
	}
	slices.Sort(names)
	params := map[string]any{
		"select": oaQueryParam("select", "Filtering Columns"),
		"order":  oaQueryParam("order", "Ordering"),
		"limit":  oaQueryParam("limit", "Limiting and Pagination"),
		"offset": oaQueryParam("offset", "Limiting and Pagination"),
		"range": map[string]any{
			"name": "Range", "in": "header", "description": "Limiting and Pagination",
			"schema": map[string]any{"type": "string"},
		},
		"preferCount": map[string]any{
			"name": "Prefer", "in": "header", "description": "Preference",
			"schema": map[string]any{"type": "string", "enum": []string{"count=none", "count=exact", "count=planned", "count=estimated"}},
		},
		"preferReturn": map[string]any{
			"name": "Prefer", "in": "header", "description": "Preference",
			"schema": map[string]any{"type": "string", "enum": []string{"return=representation", "return=minimal", "return=headers-only"}},
		},
	}
	for _, n := range names {
		rel := sc.Relations[QName{Schema: s, Name: n}]
		may := acc.relation(rel)
		if may == (relAccess{}) {
			continue // the role may not use it: PostgREST leaves it out
		}
		schemas[n] = relationSchema(rel)
		ref := map[string]any{"$ref": "#/components/schemas/" + n}
		rowFilters := []any{}
		for _, c := range rel.Columns {
			rowFilters = append(rowFilters, map[string]any{
				"name": c.Name, "in": "query", "required": false,
				"schema": map[string]any{"type": "string"}, "description": c.Description,
			})
		}
		read := append([]any{ref2("select"), ref2("order"), ref2("limit"), ref2("offset"), ref2("range"), ref2("preferCount")}, rowFilters...)
		list := map[string]any{"description": "OK", "content": map[string]any{
			"application/json":                  map[string]any{"schema": map[string]any{"type": "array", "items": ref}},
			"text/csv":                          map[string]any{"schema": map[string]any{"type": "string"}},
			"application/vnd.pgrst.object+json": map[string]any{"schema": ref},
		}}
		item := map[string]any{}
		if may.read {
			item["get"] = map[string]any{
				"tags": []string{n}, "summary": rel.Description, "parameters": read,
				"responses": map[string]any{"200": list, "206": map[string]any{"description": "Partial Content"}},
			}
		}
		if rel.Insertable {
			body := map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": ref}}}
			if may.insert {
				item["post"] = map[string]any{
					"tags": []string{n}, "parameters": []any{ref2("select"), ref2("preferReturn")},
					"requestBody": body, "responses": map[string]any{"201": map[string]any{"description": "Created"}},
				}
			}
			if may.update {
				item["patch"] = map[string]any{
					"tags": []string{n}, "parameters": append([]any{ref2("preferReturn")}, rowFilters...),
					"requestBody": body, "responses": map[string]any{"204": map[string]any{"description": "No Content"}},
				}
			}
			if may.delete {
				item["delete"] = map[string]any{
					"tags": []string{n}, "parameters": append([]any{ref2("preferReturn")}, rowFilters...),
					"responses": map[string]any{"204": map[string]any{"description": "No Content"}},
				}
			}
		}
		paths["/"+n] = item
	}
	var fnames []string
	for q := range sc.Functions {
		if q.Schema == s {
			fnames = append(fnames, q.Name)
		}
	}
	slices.Sort(fnames)
	for _, n := range fnames {
		f := sc.Functions[QName{Schema: s, Name: n}][0]
		if !acc.function(f) {
			continue
		}
		props := map[string]any{}
		var required []string
		for _, a := range f.Args {
			if a.Name == "" {
				continue
			}
			props[a.Name] = typeSchema(a.Type, "")
			if a.Required {
				required = append(required, a.Name)
			}
		}
		argSchema := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			argSchema["required"] = required
		}
		item := map[string]any{
			"post": map[string]any{
				"tags": []string{"(rpc) " + n}, "summary": f.Description,
				"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": argSchema}}},
				"responses":   map[string]any{"200": map[string]any{"description": "OK"}},
			},
		}
		if f.Volatility != 'v' {
			var ps []any
			for _, a := range f.Args {
				if a.Name != "" {
					ps = append(ps, map[string]any{"name": a.Name, "in": "query", "required": a.Required, "schema": typeSchema(a.Type, "")})
				}
			}
			item["get"] = map[string]any{
				"tags": []string{"(rpc) " + n}, "summary": f.Description, "parameters": ps,
				"responses": map[string]any{"200": map[string]any{"description": "OK"}},
			}
		}
		paths["/rpc/"+n] = item
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "MagFlock REST API", "description": "PostgREST-compatible API of schema " + s, "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas":    schemas,
			"parameters": params,
		},
	}
}

func ref2(name string) map[string]any {
	return map[string]any{"$ref": "#/components/parameters/" + name}
}

func oaQueryParam(name, desc string) map[string]any {
	return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": map[string]any{"type": "string"}}
}

func relationSchema(rel *Relation) map[string]any {
	props := map[string]any{}
	var required []string
	for _, c := range rel.Columns {
		p := typeSchema(c.Type, c.BaseType)
		desc := c.Description
		if slices.Contains(rel.PK, c.Name) {
			desc = strings.TrimSpace(desc + "\n\nNote:\nThis is a Primary Key.<pk/>")
		}
		for _, fk := range rel.FKs {
			if len(fk.FromCols) == 1 && fk.FromCols[0] == c.Name {
				desc = strings.TrimSpace(desc + "\n\nNote:\nThis is a Foreign Key to `" + fk.To.Name + "." + fk.ToCols[0] + "`.<fk table='" + fk.To.Name + "' column='" + fk.ToCols[0] + "'/>")
			}
		}
		if desc != "" {
			p["description"] = desc
		}
		if len(c.Enum) > 0 {
			p["enum"] = c.Enum
		}
		if c.Default != "" {
			p["default"] = c.Default
		}
		props[c.Name] = p
		if !c.Nullable && c.Default == "" && !c.Generated && !c.Identity {
			required = append(required, c.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if rel.Description != "" {
		out["description"] = rel.Description
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func typeSchema(typ, base string) map[string]any {
	if base == "" {
		base = typ
	}
	if strings.HasSuffix(typ, "[]") {
		return map[string]any{"type": "array", "items": typeSchema(strings.TrimSuffix(typ, "[]"), ""), "format": typ}
	}
	switch base {
	case "int2", "int4", "smallint", "integer":
		return map[string]any{"type": "integer", "format": typ}
	case "int8", "bigint":
		return map[string]any{"type": "integer", "format": typ}
	case "float4", "float8", "numeric", "real", "double precision":
		return map[string]any{"type": "number", "format": typ}
	case "bool", "boolean":
		return map[string]any{"type": "boolean", "format": typ}
	case "json", "jsonb":
		return map[string]any{"format": typ}
	}
	return map[string]any{"type": "string", "format": typ}
}

func (c *call) serveOpenAPI() error {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		return unsupportedMethodError(c.r.Method)
	}
	acc, err := c.access(c.r.Context())
	if err != nil {
		return err
	}
	doc := OpenAPI(c.sc, c.schema, acc)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	ct := "application/openapi+json; charset=utf-8"
	if c.media.Kind == MediaJSON {
		ct = "application/json; charset=utf-8"
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method == http.MethodGet {
		_, _ = c.w.Write(buf.Bytes())
	}
	return nil
}

// access is what the requesting principal may use, for the OpenAPI
// document: its role's privileges (PostgreSQL's grants) and its key's
// scopes. A nil access allows everything.
type access struct {
	p    *gate.Principal
	rels map[uint32]relAccess // by OID; nil: every relation
	fns  map[uint32]bool      // by OID; nil: every function
}

// relAccess is what a role may do with a relation.
type relAccess struct{ read, insert, update, delete bool }

func (a *access) relation(rel *Relation) relAccess {
	if a == nil {
		return relAccess{true, true, true, true}
	}
	may := relAccess{true, true, true, true}
	if a.rels != nil {
		may = a.rels[rel.OID]
	}
	act := func(op gate.Op) bool {
		return a.p.ScopesAllow(gate.Action{API: gate.APIRest, Op: op, Schema: rel.Schema, Relation: rel.Name})
	}
	may.read = may.read && act(gate.OpRead)
	may.insert = may.insert && act(gate.OpWrite)
	may.update = may.update && act(gate.OpWrite)
	may.delete = may.delete && act(gate.OpDelete)
	return may
}

func (a *access) function(f *Function) bool {
	if a == nil {
		return true
	}
	return (a.fns == nil || a.fns[f.OID]) &&
		a.p.ScopesAllow(gate.Action{API: gate.APIRest, Op: gate.OpExecute, Schema: f.Schema, Relation: f.Name})
}

// accessSQL reads a role's privileges on relations and functions, as the
// login role (a catalog read: no principal acts). An unknown role may use
// nothing.
const accessSQL = `with r as (select exists (select from pg_roles where rolname = $1) ok)
select coalesce((select json_agg(json_build_array(c.oid::int8,
    r.ok and has_any_column_privilege($1, c.oid, 'SELECT'), r.ok and has_any_column_privilege($1, c.oid, 'INSERT'),
    r.ok and has_any_column_privilege($1, c.oid, 'UPDATE'), r.ok and has_table_privilege($1, c.oid, 'DELETE')))
  from unnest($2::oid[]) c(oid), r), '[]'),
  coalesce((select json_agg(f.oid::int8) from unnest($3::oid[]) f(oid), r where r.ok and has_function_privilege($1, f.oid, 'EXECUTE')), '[]')`

// access reads what the request's principal may use in its schema. The
// service role sees everything, as PostgREST shows it.
func (c *call) access(ctx context.Context) (*access, error) {
	a := &access{p: c.p}
	if c.p.Role == serviceRole {
		return a, nil
	}
	var rels, fns []uint32
	for q, r := range c.sc.Relations {
		if q.Schema == c.schema {
			rels = append(rels, r.OID)
		}
	}
	for q, fs := range c.sc.Functions {
		if q.Schema == c.schema {
			for _, f := range fs {
				fns = append(fns, f.OID)
			}
		}
	}
	var relRows [][5]any
	var fnRows []uint32
	err := c.s.opts.Gate.ReadCatalog(ctx, c.ref, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, accessSQL, c.p.Role, rels, fns).Scan(&relRows, &fnRows)
	})
	if err != nil {
		return nil, fmt.Errorf("reading the role's privileges: %w", err)
	}
	a.rels, a.fns = make(map[uint32]relAccess, len(relRows)), make(map[uint32]bool, len(fnRows))
	for _, row := range relRows {
		oid, _ := row[0].(float64)
		b := func(i int) bool { v, _ := row[i].(bool); return v }
		a.rels[uint32(oid)] = relAccess{b(1), b(2), b(3), b(4)}
	}
	for _, oid := range fnRows {
		a.fns[oid] = true
	}
	return a, nil
}
