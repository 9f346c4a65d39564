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
	// badBody is a JSON body that is no object, which named arguments
	// cannot come from.
	badBody bool
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
	if call.badBody {
		return nil, false, invalidBodyError("")
	}
	f := call.fn
	var from, callExpr string
	if call.single {
		var v any = string(call.rawBody)
		if f.Args[0].Type == "bytea" {
			v = call.rawBody
		}
		callExpr = f.Sanitize() + "(" + c.Bind(v) + "::" + f.Args[0].Type + ")"
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
			from = "json_to_record(" + c.Bind(string(b)) + "::json) AS pgrst_args(" + strings.Join(defs, ", ") + "), "
		}
		callExpr = f.Sanitize() + "(" + strings.Join(named, ", ") + ")"
	}
	single := !f.SetOf
	switch {
	case f.Void:
		return &Statement{SQL: "SELECT NULL::int8 AS total, 0::int8 AS n, NULL::json AS body, NULL::text[] AS loc, NULL::bool AS ins FROM " + from + "LATERAL " + callExpr + " pgrst_void", Args: c.Args()}, false, nil
	case f.ReturnRel != nil:
		root := &level{rel: f.ReturnRel, alias: "t0", items: c.req.Query.Select, noRowType: f.ReturnRel.Synthetic}
		rng := c.req.Range
		if c.cfg.MaxRows > 0 && (rng.Limit == NoLimit || rng.Limit > c.cfg.MaxRows) {
			rng.Limit = c.cfg.MaxRows
		}
		callArgs := slices.Clone(c.Args())
		q, err := c.buildLevel(root, from+"LATERAL "+callExpr+" t0", nil, rng)
		if err != nil {
			return nil, false, err
		}
		sql := "SELECT " + c.totalExpr(q) + " AS total, count(*) AS n, " + c.bodyExpr(media, q.outCols()) + " AS body, NULL::text[] AS loc, NULL::bool AS ins FROM (" + q.sql() + ") x"
		st := c.statement(sql)
		st.Explain, err = c.explainCount(root.rel, root.items, from+"LATERAL "+callExpr+" t0", callArgs)
		return st, single, err
	case f.SetOf:
		sql := "SELECT " + c.countedTotal("count(*)") + " AS total, count(*) AS n, coalesce(json_agg(t0.v), '[]') AS body, NULL::text[] AS loc, NULL::bool AS ins FROM " + from + "LATERAL " + callExpr + " t0(v)"
		return &Statement{SQL: sql, Args: c.Args()}, false, nil
	}
	// A scalar, as PostgREST counts it: one row.
	sql := "SELECT " + c.countedTotal("1") + "::int8 AS total, 1::int8 AS n, to_json(" + callExpr + ") AS body, NULL::text[] AS loc, NULL::bool AS ins"
	if from != "" {
		sql += " FROM " + strings.TrimSuffix(from, ", ")
	}
	return &Statement{SQL: sql, Args: c.Args()}, false, nil
}

// countedTotal is expr when the request asks for a count, else null.
func (c *compiler) countedTotal(expr string) string {
	if c.req.Prefer.Count == CountUnset {
		return "NULL::int8"
	}
	return expr
}
