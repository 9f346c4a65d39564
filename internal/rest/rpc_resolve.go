package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// rpcInput is what a call supplies to pick a function by: the names of its
// arguments, or, for a POST, a body that a function with a single unnamed
// parameter of the body's type takes whole.
type rpcInput struct {
	args map[string]json.RawMessage
	// keys are the argument names, sorted, as PostgREST lists them.
	keys []string
	post bool
	// content is the request's Content-Type kind: which single unnamed
	// parameter a POST body may be (json/jsonb, text, xml, bytea).
	content MediaKind
	// singleObject is Prefer: params=single-object.
	singleObject bool
	body         []byte
	// notObject is a JSON body that is no object: only a function taking
	// the body whole can be called with it.
	notObject bool
	filters   []Filter
}

// rawOnly reports whether the body can only be a single unnamed parameter
// (text, xml or bytea), as PostgREST reads those media types.
func (in *rpcInput) rawOnly() bool {
	return in.post && (in.content == MediaTextPlain || in.content == MediaTextXML || in.content == MediaOctetStream)
}

// rpcInput gathers the call's arguments: the query's on a read (a key that
// names no parameter of any overload and parses as a filter is a filter),
// the body's otherwise.
func (c *compiler) rpcInput(body []byte, cands []*Function) (*rpcInput, error) {
	in := &rpcInput{
		args: map[string]json.RawMessage{}, content: c.req.ContentType.Kind, body: body,
		singleObject: c.req.Prefer.Params == ParamsSingleObject,
	}
	if c.req.Method == http.MethodGet || c.req.Method == http.MethodHead {
		for _, a := range c.req.Query.Args {
			if a.Filter != nil && !isParam(cands, a.Name) {
				in.filters = append(in.filters, *a.Filter)
				continue
			}
			b, _ := json.Marshal(a.Value) // a string always encodes
			in.args[a.Name] = b
		}
	} else {
		in.post = true
		if err := in.readBody(); err != nil {
			return nil, err
		}
	}
	for k := range in.args {
		in.keys = append(in.keys, k)
	}
	slices.Sort(in.keys)
	return in, nil
}

// readBody takes the argument names of a JSON object body; an empty body
// has none, and a raw body (text, xml, bytea) names none.
func (in *rpcInput) readBody() error {
	t := bytes.TrimSpace(in.body)
	if len(t) == 0 || in.rawOnly() || in.singleObject {
		return nil
	}
	if !json.Valid(t) {
		return invalidBodyError("")
	}
	if t[0] != '{' {
		in.notObject = true
		return nil
	}
	return json.Unmarshal(t, &in.args)
}

func isParam(cands []*Function, name string) bool {
	return slices.ContainsFunc(cands, func(f *Function) bool {
		return slices.ContainsFunc(f.Args, func(fa FuncArg) bool { return fa.Name == name })
	})
}

// matches is PostgREST's test of a function against the argument names:
// every name is a parameter and every required parameter is named. With
// params=single-object, any function of one json or jsonb parameter.
func (in *rpcInput) matches(f *Function) bool {
	if in.singleObject {
		return len(f.Args) == 1 && isJSONType(f.Args[0].Type)
	}
	if len(f.Args) == 0 {
		return len(in.keys) == 0 && !in.rawOnly()
	}
	for _, k := range in.keys {
		if k == "" || !slices.ContainsFunc(f.Args, func(a FuncArg) bool { return a.Name == k }) {
			return false
		}
	}
	for _, a := range f.Args {
		if _, ok := in.args[a.Name]; a.Required && !ok {
			return false
		}
	}
	return true
}

// takesBody reports whether f has a single unnamed parameter of the type
// a POST body of the request's media type is passed as.
func (in *rpcInput) takesBody(f *Function) bool {
	if !in.post || len(f.Args) != 1 || f.Args[0].Name != "" {
		return false
	}
	switch in.content {
	case MediaJSON, MediaAny:
		return isJSONType(f.Args[0].Type)
	case MediaTextPlain:
		return f.Args[0].Type == "text"
	case MediaTextXML:
		return f.Args[0].Type == "xml"
	case MediaOctetStream:
		return f.Args[0].Type == "bytea"
	}
	return false
}

func isJSONType(t string) bool { return t == "json" || t == "jsonb" }

// resolveRPC picks the function the call names, as PostgREST does: the
// overloads whose parameters the argument names fit, else the one whose
// single unnamed parameter takes the body; more than one is ambiguous.
func (c *compiler) resolveRPC(body []byte) (*rpcCall, error) {
	name := c.req.Target.Name
	cands := slices.SortedFunc(slices.Values(c.sc.Functions[QName{Schema: c.schema, Name: name}]),
		func(a, b *Function) int { return int(a.OID) - int(b.OID) })
	in, err := c.rpcInput(body, cands)
	if err != nil {
		return nil, err
	}
	var fits, fallbacks []*Function
	for _, f := range cands {
		switch {
		case in.matches(f):
			fits = append(fits, f)
		case in.takesBody(f):
			fallbacks = append(fallbacks, f)
		}
	}
	if len(fits) == 0 {
		fits = fallbacks
	}
	switch {
	case len(fits) > 1:
		return nil, ambiguousFunctionError(fits)
	case len(fits) == 0:
		return nil, noFunctionError(c.sc, c.schema, name, in, cands)
	}
	return in.call(fits[0]), c.rpcMethod(fits[0], in.filters)
}

// call is the call of f with the input: the body whole for a single
// unnamed parameter or params=single-object, named arguments otherwise.
func (in *rpcInput) call(f *Function) *rpcCall {
	if in.singleObject || in.takesBody(f) {
		return &rpcCall{fn: f, rawBody: in.body, single: true}
	}
	return &rpcCall{fn: f, args: in.args, badBody: in.notObject}
}

// ambiguousFunctionError is PGRST203: more than one overload fits.
func ambiguousFunctionError(fs []*Function) *Error {
	sigs := make([]string, len(fs))
	for i, f := range fs {
		params := make([]string, len(f.Args))
		for j, a := range f.Args {
			params[j] = a.Name + " => " + a.Type
		}
		sigs[i] = f.Schema + "." + f.Name + "(" + strings.Join(params, ", ") + ")"
	}
	return clientError(http.StatusMultipleChoices, CodeAmbiguousFunction,
		"Could not choose the best candidate function between: "+strings.Join(sigs, ", "), "",
		"Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}

// noFunctionError is PGRST202, worded as PostgREST words it for the
// argument names and the body's media type.
func noFunctionError(sc *Schema, schema, name string, in *rpcInput, overloads []*Function) *Error {
	fn := schema + "." + name
	prms := " without parameters"
	searched := prms
	if len(in.keys) > 0 {
		prms = "(" + strings.Join(in.keys, ", ") + ")"
		searched = " with parameter " + strings.Join(in.keys, ", ")
		if len(in.keys) > 1 {
			searched = " with parameters " + strings.Join(in.keys, ", ")
		}
	}
	single := in.singleObject || in.rawOnly()
	msg := "Could not find the function " + fn + prms + " in the schema cache"
	if single {
		msg = "Could not find the function " + fn + " in the schema cache"
	}
	details := "Searched for the function " + fn + in.searchedFor(searched) + ", but no matches were found in the schema cache."
	e := clientError(http.StatusNotFound, CodeNoFunction, msg, details, "")
	if !single {
		e.Hint = noFunctionHint(sc, schema, name, in.keys, overloads)
	}
	return e
}

// searchedFor words what was looked for in PGRST202's details.
func (in *rpcInput) searchedFor(params string) string {
	switch {
	case in.singleObject:
		return " with a single json/jsonb parameter"
	case !in.post:
		return params
	}
	switch in.content {
	case MediaTextPlain:
		return " with a single unnamed text parameter"
	case MediaTextXML:
		return " with a single unnamed xml parameter"
	case MediaOctetStream:
		return " with a single unnamed bytea parameter"
	case MediaJSON, MediaAny:
		return params + " or with a single unnamed json/jsonb parameter"
	}
	return params
}

// noFunctionHint suggests a function of a near name when none has this
// one, else the overload whose parameter names are nearest those given.
func noFunctionHint(sc *Schema, schema, name string, keys []string, overloads []*Function) string {
	if len(overloads) == 0 {
		var names []string
		for q := range sc.Functions {
			if q.Schema == schema {
				names = append(names, q.Name)
			}
		}
		slices.Sort(names)
		if m := closest(name, names); m != "" && m != name {
			return fmt.Sprintf("Perhaps you meant to call the function %s.%s", schema, m)
		}
		return ""
	}
	given := paramList(keys)
	best, bestScore := "", 0.33 // PostgREST's least similarity for a hint
	for _, f := range overloads {
		if slices.ContainsFunc(f.Args, func(a FuncArg) bool { return a.Name == "" }) {
			continue // not callable by name
		}
		names := make([]string, len(f.Args))
		for i, a := range f.Args {
			names[i] = a.Name
		}
		slices.Sort(names)
		l := paramList(names)
		if s := similarity(given, l); s >= bestScore && (best == "" || s > bestScore) {
			best, bestScore = l, s
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("Perhaps you meant to call the function %s.%s%s", schema, name, best)
}

func paramList(names []string) string { return "(" + strings.Join(names, ", ") + ")" }

// similarity is 1 less the edit distance over the longer length.
func similarity(a, b string) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 1
	}
	return 1 - float64(distance(a, b))/float64(n)
}
