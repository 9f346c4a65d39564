package graphql

import (
	"slices"
	"strings"
)

// filter compiles a <Table>Filter value on alias a; "true" when empty.
func (c *compiler) filter(t *table, a string, v any) (string, error) {
	obj, _ := v.(map[string]any)
	if len(obj) == 0 {
		return "true", nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ands []string
	for _, k := range keys {
		val := obj[k]
		if val == nil {
			continue
		}
		switch k {
		case "and", "or":
			list, _ := val.([]any)
			var parts []string
			for _, item := range list {
				p, err := c.filter(t, a, item)
				if err != nil {
					return "", err
				}
				parts = append(parts, p)
			}
			switch {
			case len(parts) == 0:
				ands = append(ands, "true")
			case k == "and":
				ands = append(ands, "("+strings.Join(parts, " and ")+")")
			default:
				ands = append(ands, "("+strings.Join(parts, " or ")+")")
			}
		case "not":
			p, err := c.filter(t, a, val)
			if err != nil {
				return "", err
			}
			ands = append(ands, "not "+p)
		case "nodeId":
			ops, _ := val.(map[string]any)
			id, ok := ops["eq"].(string)
			if !ok {
				continue
			}
			nt, pk, err := c.decodeNodeID(id)
			if err != nil {
				return "", err
			}
			if nt != t {
				ands = append(ands, "false")
				continue
			}
			for i, k := range t.pk {
				ands = append(ands, a+"."+ident(k.col.Name)+" = "+c.value(k, pk[i]))
			}
		default:
			col := t.cols[k]
			if col == nil || col.filter == "" {
				return "", errorf("unknown filter field %q", k)
			}
			p, err := c.columnFilter(col, a, val)
			if err != nil {
				return "", err
			}
			ands = append(ands, p)
		}
	}
	if len(ands) == 0 {
		return "true", nil
	}
	return "(" + strings.Join(ands, " and ") + ")", nil
}

var cmpOps = map[string]string{"eq": " = ", "neq": " <> ", "lt": " < ", "lte": " <= ", "gt": " > ", "gte": " >= "}

func (c *compiler) columnFilter(col *column, a string, v any) (string, error) {
	ops, _ := v.(map[string]any)
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	slices.Sort(names)
	ref := a + "." + ident(col.col.Name)
	var ands []string
	for _, op := range names {
		val := ops[op]
		if val == nil {
			continue
		}
		switch op {
		case "eq", "neq", "lt", "lte", "gt", "gte":
			ands = append(ands, ref+cmpOps[op]+c.input(col, val))
		case "in":
			list, _ := val.([]any)
			strs := make([]string, 0, len(list))
			for _, x := range list {
				if x != nil {
					strs = append(strs, text(c.enumLabel(col, x)))
				}
			}
			ands = append(ands, ref+" = any("+c.Bind(strs)+"::text[]::"+col.col.Type+"[])")
		case "is":
			if val == "NOT_NULL" {
				ands = append(ands, ref+" is not null")
			} else {
				ands = append(ands, ref+" is null")
			}
		case "like":
			ands = append(ands, ref+"::text like "+c.Bind(text(val))+"::text")
		case "ilike":
			ands = append(ands, ref+"::text ilike "+c.Bind(text(val))+"::text")
		case "regex":
			ands = append(ands, ref+"::text ~ "+c.Bind(text(val))+"::text")
		case "iregex":
			ands = append(ands, ref+"::text ~* "+c.Bind(text(val))+"::text")
		case "startsWith":
			ands = append(ands, "starts_with("+ref+"::text, "+c.Bind(text(val))+"::text)")
		default:
			return "", errorf("unknown filter operator %q", op)
		}
	}
	if len(ands) == 0 {
		return "true", nil
	}
	return "(" + strings.Join(ands, " and ") + ")", nil
}
