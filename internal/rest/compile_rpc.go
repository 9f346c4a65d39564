package rest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// rpcCall is a resolved function call: the function and its arguments as
// one JSON object (named arguments) or the raw body (a single json param).
type rpcCall struct {
	fn      *Function
	args    map[string]json.RawMessage
	rawBody []byte
	single  bool
}

// resolveRPC picks the overload of name that the given argument names fit.
func (c *compiler) resolveRPC(body []byte) (*rpcCall, error) {
	name := c.req.Target.Name
	cands := c.sc.Functions[QName{Schema: c.schema, Name: name}]
	args := map[string]json.RawMessage{}
	readOnly := c.req.Method == http.MethodGet || c.req.Method == http.MethodHead
	var filters []Filter
	if readOnly {
		for _, a := range c.req.Query.Args {
			isArg := slices.ContainsFunc(cands, func(f *Function) bool {
				return slices.ContainsFunc(f.Args, func(fa FuncArg) bool { return fa.Name == a.Name })
			})
			if !isArg && a.Filter != nil {
				filters = append(filters, *a.Filter)
				continue
			}
			b, _ := json.Marshal(a.Value) // a string always encodes
			args[a.Name] = b
		}
	} else if len(strings.TrimSpace(string(body))) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			obj = nil
		}
		// A function with one unnamed json/jsonb parameter takes the body whole.
		for _, f := range cands {
			if len(f.Args) == 1 && f.Args[0].Name == "" && (f.Args[0].Type == "json" || f.Args[0].Type == "jsonb") {
				return &rpcCall{fn: f, rawBody: body, single: true}, c.rpcMethod(f, filters)
			}
			if c.req.Prefer.Params == ParamsSingleObject && len(f.Args) == 1 && (f.Args[0].Type == "json" || f.Args[0].Type == "jsonb") {
				return &rpcCall{fn: f, rawBody: body, single: true}, c.rpcMethod(f, filters)
			}
		}
		if obj == nil {
			return nil, invalidBodyError("")
		}
		args = obj
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, f := range cands {
		if fits(f, args) {
			return &rpcCall{fn: f, args: args}, c.rpcMethod(f, filters)
		}
	}
	return nil, noFunctionError(c.sc, c.schema, name, names)
}

func fits(f *Function, args map[string]json.RawMessage) bool {
	for k := range args {
		if !slices.ContainsFunc(f.Args, func(a FuncArg) bool { return a.Name == k }) {
			return false
		}
	}
	for _, a := range f.Args {
		if _, ok := args[a.Name]; a.Required && !ok {
			return false
		}
	}
	return true
}

// rpcMethod refuses GET on a volatile function and keeps filters of a read.
func (c *compiler) rpcMethod(f *Function, filters []Filter) error {
	if (c.req.Method == http.MethodGet || c.req.Method == http.MethodHead) && f.Volatility == 'v' {
		return clientError(http.StatusMethodNotAllowed, CodeInvalidRPCMethod,
			"Cannot use the "+c.req.Method+" method on RPC", "The function "+f.String()+" is volatile: call it with POST", "")
	}
	if len(filters) > 0 {
		q := *c.req
		q.Query.Filters = append(slices.Clone(q.Query.Filters), filters...)
		c.req = &q
	}
	return nil
}

// compileRPC compiles a function call. Functions returning rows are read
// like a relation (select, filters, order, range apply); others return
// their value.
func (c *compiler) compileRPC(body []byte, media MediaType) (*Statement, bool, error) {
	call, err := c.resolveRPC(body)
	if err != nil {
		return nil, false, err
	}
	f := call.fn
	var from, callExpr string
	if call.single {
		callExpr = f.Sanitize() + "(" + c.param(string(call.rawBody)) + "::" + f.Args[0].Type + ")"
	} else {
		var defs, named []string
		for _, a := range f.Args {
			if _, ok := call.args[a.Name]; !ok {
				continue
			}
			defs = append(defs, ident(a.Name)+" "+a.Type)
			named = append(named, ident(a.Name)+" := pgrst_args."+ident(a.Name))
		}
		if len(defs) > 0 {
			b, _ := json.Marshal(call.args) // raw messages re-encode
			from = "json_to_record(" + c.param(string(b)) + "::json) AS pgrst_args(" + strings.Join(defs, ", ") + "), "
		}
		callExpr = f.Sanitize() + "(" + strings.Join(named, ", ") + ")"
	}
	single := !f.SetOf
	switch {
	case f.Void:
		return &Statement{SQL: "SELECT NULL::int8 AS total, 0::int8 AS n, NULL::json AS body, NULL::text[] AS loc FROM " + from + "LATERAL " + callExpr + " pgrst_void", Args: c.args}, false, nil
	case f.ReturnRel != nil:
		root := &level{rel: f.ReturnRel, alias: "t0", items: c.req.Query.Select, noRowType: f.ReturnRel.Synthetic}
		rng := c.req.Range
		if c.cfg.MaxRows > 0 && (rng.Limit == NoLimit || rng.Limit > c.cfg.MaxRows) {
			rng.Limit = c.cfg.MaxRows
		}
		q, err := c.buildLevel(root, from+"LATERAL "+callExpr+" t0", nil, rng)
		if err != nil {
			return nil, false, err
		}
		total := "NULL::int8"
		if c.req.Prefer.Count != CountUnset {
			total = "(" + q.countSQL() + ")"
		}
		sql := "SELECT " + total + " AS total, count(*) AS n, " + c.bodyExpr(media) + " AS body, NULL::text[] AS loc FROM (" + q.sql() + ") x"
		return &Statement{SQL: sql, Args: c.args}, single, nil
	case f.SetOf:
		sql := "SELECT NULL::int8 AS total, count(*) AS n, coalesce(json_agg(t0.v), '[]') AS body, NULL::text[] AS loc FROM " + from + "LATERAL " + callExpr + " t0(v)"
		return &Statement{SQL: sql, Args: c.args}, false, nil
	}
	sql := "SELECT NULL::int8 AS total, 1::int8 AS n, to_json(" + callExpr + ") AS body, NULL::text[] AS loc"
	if from != "" {
		sql += " FROM " + strings.TrimSuffix(from, ", ")
	}
	return &Statement{SQL: sql, Args: c.args}, false, nil
}
