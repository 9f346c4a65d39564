package graphql

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// The introspection executor answers __schema and __type from the
// generated gqlparser schema, in Go: introspection never reaches SQL.

type introspector struct {
	s *ast.Schema
	c *compiler
	b strings.Builder
}

func introspect(s *ast.Schema, f *ast.Field, c *compiler) ([]byte, error) {
	in := &introspector{s: s, c: c}
	switch f.Name {
	case "__schema":
		in.schema(f.SelectionSet)
	case "__type":
		name, _ := f.ArgumentMap(c.vars)["name"].(string)
		if d := s.Types[name]; d != nil {
			in.typ(f.SelectionSet, ast.NamedType(name, nil))
		} else {
			in.b.WriteString("null")
		}
	}
	return []byte(in.b.String()), nil
}

func (in *introspector) str(s string) {
	q, _ := json.Marshal(s)
	in.b.Write(q)
}

func (in *introspector) strOrNull(s string) {
	if s == "" {
		in.b.WriteString("null")
		return
	}
	in.str(s)
}

func (in *introspector) bool(v bool) {
	if v {
		in.b.WriteString("true")
	} else {
		in.b.WriteString("false")
	}
}

// object writes the fields of meta type meta selected by ss, each through
// value.
func (in *introspector) object(ss ast.SelectionSet, meta string, value func(f *ast.Field)) {
	in.b.WriteByte('{')
	for i, f := range in.c.collect(ss, in.s.Types[meta]) {
		if i > 0 {
			in.b.WriteByte(',')
		}
		in.str(f.Alias)
		in.b.WriteByte(':')
		if f.Name == "__typename" {
			in.str(meta)
			continue
		}
		value(f)
	}
	in.b.WriteByte('}')
}

func list[T any](in *introspector, items []T, each func(T)) {
	in.b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			in.b.WriteByte(',')
		}
		each(it)
	}
	in.b.WriteByte(']')
}

func (in *introspector) named(name string, ss ast.SelectionSet) {
	if name == "" || in.s.Types[name] == nil {
		in.b.WriteString("null")
		return
	}
	in.typ(ss, ast.NamedType(name, nil))
}

func sortedTypes(s *ast.Schema) []*ast.Definition {
	out := make([]*ast.Definition, 0, len(s.Types))
	for _, d := range s.Types {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (in *introspector) schema(ss ast.SelectionSet) {
	in.object(ss, "__Schema", func(f *ast.Field) {
		switch f.Name {
		case "description":
			in.strOrNull(in.s.Description)
		case "queryType":
			in.named(defName(in.s.Query), f.SelectionSet)
		case "mutationType":
			in.named(defName(in.s.Mutation), f.SelectionSet)
		case "subscriptionType":
			in.named(defName(in.s.Subscription), f.SelectionSet)
		case "types":
			list(in, sortedTypes(in.s), func(d *ast.Definition) { in.typ(f.SelectionSet, ast.NamedType(d.Name, nil)) })
		case "directives":
			names := make([]string, 0, len(in.s.Directives))
			for n := range in.s.Directives {
				names = append(names, n)
			}
			slices.Sort(names)
			list(in, names, func(n string) { in.directive(f.SelectionSet, in.s.Directives[n]) })
		default:
			in.b.WriteString("null")
		}
	})
}

func defName(d *ast.Definition) string {
	if d == nil {
		return ""
	}
	return d.Name
}

func deprecation(ds ast.DirectiveList) (bool, string) {
	d := ds.ForName("deprecated")
	if d == nil {
		return false, ""
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return true, reason
}

func (in *introspector) includeDeprecated(f *ast.Field) bool {
	v, _ := f.ArgumentMap(in.c.vars)["includeDeprecated"].(bool)
	return v
}

func (in *introspector) typ(ss ast.SelectionSet, t *ast.Type) {
	def := in.s.Types[t.NamedType]
	in.object(ss, "__Type", func(f *ast.Field) {
		switch {
		case t.NonNull:
			switch f.Name {
			case "kind":
				in.str("NON_NULL")
			case "ofType":
				inner := *t
				inner.NonNull = false
				in.typ(f.SelectionSet, &inner)
			default:
				in.b.WriteString("null")
			}
			return
		case t.Elem != nil:
			switch f.Name {
			case "kind":
				in.str("LIST")
			case "ofType":
				in.typ(f.SelectionSet, t.Elem)
			default:
				in.b.WriteString("null")
			}
			return
		}
		switch f.Name {
		case "kind":
			in.str(string(def.Kind))
		case "name":
			in.str(def.Name)
		case "description":
			in.strOrNull(def.Description)
		case "specifiedByURL":
			in.b.WriteString("null")
		case "isOneOf":
			if def.Kind == ast.InputObject {
				in.bool(def.Directives.ForName("oneOf") != nil)
			} else {
				in.b.WriteString("null")
			}
		case "fields":
			if def.Kind != ast.Object && def.Kind != ast.Interface {
				in.b.WriteString("null")
				return
			}
			all := in.includeDeprecated(f)
			var fields []*ast.FieldDefinition
			for _, fd := range def.Fields {
				if dep, _ := deprecation(fd.Directives); strings.HasPrefix(fd.Name, "__") || dep && !all {
					continue
				}
				fields = append(fields, fd)
			}
			list(in, fields, func(fd *ast.FieldDefinition) { in.field(f.SelectionSet, fd) })
		case "interfaces":
			if def.Kind != ast.Object && def.Kind != ast.Interface {
				in.b.WriteString("null")
				return
			}
			list(in, def.Interfaces, func(n string) { in.named(n, f.SelectionSet) })
		case "possibleTypes":
			if !def.IsAbstractType() {
				in.b.WriteString("null")
				return
			}
			pts := slices.Clone(in.s.PossibleTypes[def.Name])
			slices.SortFunc(pts, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
			list(in, pts, func(d *ast.Definition) { in.named(d.Name, f.SelectionSet) })
		case "enumValues":
			if def.Kind != ast.Enum {
				in.b.WriteString("null")
				return
			}
			all := in.includeDeprecated(f)
			var vals []*ast.EnumValueDefinition
			for _, v := range def.EnumValues {
				if dep, _ := deprecation(v.Directives); dep && !all {
					continue
				}
				vals = append(vals, v)
			}
			list(in, vals, func(v *ast.EnumValueDefinition) {
				in.object(f.SelectionSet, "__EnumValue", func(g *ast.Field) {
					dep, reason := deprecation(v.Directives)
					switch g.Name {
					case "name":
						in.str(v.Name)
					case "description":
						in.strOrNull(v.Description)
					case "isDeprecated":
						in.bool(dep)
					case "deprecationReason":
						in.strOrNull(reason)
					default:
						in.b.WriteString("null")
					}
				})
			})
		case "inputFields":
			if def.Kind != ast.InputObject {
				in.b.WriteString("null")
				return
			}
			list(in, def.Fields, func(fd *ast.FieldDefinition) {
				in.inputValue(f.SelectionSet, fd.Name, fd.Description, fd.Type, fd.DefaultValue, fd.Directives)
			})
		case "ofType":
			in.b.WriteString("null")
		default:
			in.b.WriteString("null")
		}
	})
}

func (in *introspector) field(ss ast.SelectionSet, fd *ast.FieldDefinition) {
	in.object(ss, "__Field", func(f *ast.Field) {
		dep, reason := deprecation(fd.Directives)
		switch f.Name {
		case "name":
			in.str(fd.Name)
		case "description":
			in.strOrNull(fd.Description)
		case "args":
			list(in, fd.Arguments, func(a *ast.ArgumentDefinition) {
				in.inputValue(f.SelectionSet, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives)
			})
		case "type":
			in.typ(f.SelectionSet, fd.Type)
		case "isDeprecated":
			in.bool(dep)
		case "deprecationReason":
			in.strOrNull(reason)
		default:
			in.b.WriteString("null")
		}
	})
}

func (in *introspector) inputValue(ss ast.SelectionSet, name, desc string, t *ast.Type, def *ast.Value, ds ast.DirectiveList) {
	in.object(ss, "__InputValue", func(f *ast.Field) {
		dep, reason := deprecation(ds)
		switch f.Name {
		case "name":
			in.str(name)
		case "description":
			in.strOrNull(desc)
		case "type":
			in.typ(f.SelectionSet, t)
		case "defaultValue":
			if def == nil {
				in.b.WriteString("null")
			} else {
				in.str(def.String())
			}
		case "isDeprecated":
			in.bool(dep)
		case "deprecationReason":
			in.strOrNull(reason)
		default:
			in.b.WriteString("null")
		}
	})
}

func (in *introspector) directive(ss ast.SelectionSet, d *ast.DirectiveDefinition) {
	in.object(ss, "__Directive", func(f *ast.Field) {
		switch f.Name {
		case "name":
			in.str(d.Name)
		case "description":
			in.strOrNull(d.Description)
		case "isRepeatable":
			in.bool(d.IsRepeatable)
		case "locations":
			list(in, d.Locations, func(l ast.DirectiveLocation) { in.str(string(l)) })
		case "args":
			list(in, d.Arguments, func(a *ast.ArgumentDefinition) {
				in.inputValue(f.SelectionSet, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives)
			})
		default:
			in.b.WriteString("null")
		}
	})
}
