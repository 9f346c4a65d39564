package rest

import (
	"net/http"
	"net/url"
	"strings"
)

// Request headers the parser reads.
const (
	headerPrefer         = "Prefer"
	headerRange          = "Range"
	headerRangeUnit      = "Range-Unit"
	headerAccept         = "Accept"
	headerContentType    = "Content-Type"
	headerAcceptProfile  = "Accept-Profile"
	headerContentProfile = "Content-Profile"
)

// ParseRequest parses a REST request: its method, its path relative to the
// API root ("/todos", "/rpc/fn" or "/"), its raw query string and its
// headers. It does no I/O and knows nothing of the schema: every name it
// returns is still to be resolved by the compiler against the schema cache.
//
// Methods are case-sensitive (RFC 9110), as in PostgREST: "get" is PGRST117.
//
// Errors are *[Error] values with PostgREST's codes and statuses, checked in
// PostgREST's order: path (PGRST125), method (PGRST117, PGRST101), query
// string (PGRST100), ranges (PGRST103, PGRST114), then Prefer with
// handling=strict (PGRST122).
func ParseRequest(method, path, rawQuery string, header http.Header) (*Request, error) {
	target, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	if err := checkMethod(method, target); err != nil {
		return nil, err
	}
	req := &Request{Method: method, Target: target, RangeUnit: "items"}

	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		req.Profile = header.Get(headerContentProfile)
	default:
		req.Profile = header.Get(headerAcceptProfile)
	}

	routineRead := target.Kind == TargetRoutine && (method == http.MethodGet || method == http.MethodHead)
	q, err := ParseQuery(rawQuery, QueryOptions{RoutineRead: routineRead})
	if err != nil {
		return nil, err
	}
	req.Query = *q

	// The Range header only applies to GET (RFC 9110; PostgREST ignores it
	// on every other method, HEAD included).
	var hr *rangeHeader
	if method == http.MethodGet {
		if v := header.Get(headerRange); v != "" {
			if r, ok := parseRangeHeader(v); ok {
				hr = &r
			}
		}
	}
	if req.Range, err = topLevelRange(hr, q.Range); err != nil {
		return nil, err
	}
	if method == http.MethodPut && q.Range != AllRows {
		return nil, putRangeError()
	}
	if u := header.Get(headerRangeUnit); u != "" {
		req.RangeUnit = u
	}

	if req.Prefer, err = ParsePrefer(header.Values(headerPrefer)); err != nil {
		return nil, err
	}
	req.Accept = ParseAccept(header.Values(headerAccept))
	req.ContentType = MediaType{Kind: MediaJSON}
	if ct := header.Get(headerContentType); strings.TrimSpace(ct) != "" {
		req.ContentType = ParseMediaType(ct)
	}
	return req, nil
}

// ParsePath parses a request path relative to the API root: "/" is the
// schema, "/{name}" a relation and "/rpc/{name}" a function. Segments are
// percent-decoded; a trailing slash is ignored. Any other path is PGRST125.
func ParsePath(path string) (Target, error) {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return Target{Kind: TargetSchema}, nil
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil || d == "" {
			return Target{}, invalidPathError()
		}
		segs[i] = d
	}
	switch {
	case len(segs) == 1:
		return Target{Kind: TargetRelation, Name: segs[0]}, nil
	case len(segs) == 2 && segs[0] == "rpc":
		return Target{Kind: TargetRoutine, Name: segs[1]}, nil
	}
	return Target{}, invalidPathError()
}

// checkMethod rejects methods the target does not serve, as PostgREST does.
func checkMethod(method string, t Target) error {
	switch t.Kind {
	case TargetRoutine:
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions:
			return nil
		}
		return invalidRPCMethodError(method)
	case TargetRelation:
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete, http.MethodOptions:
			return nil
		}
	case TargetSchema:
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return nil
		}
	}
	return unsupportedMethodError(method)
}
