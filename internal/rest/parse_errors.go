package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// PostgREST error codes produced while parsing a request. The texts follow
// PostgREST's own, which begin "failed to parse": that is its wire format,
// not a Go error string.
const (
	// CodeQueryParam is a query-string parse error (400).
	CodeQueryParam = "PGRST100"
	// CodeInvalidRPCMethod is a method other than GET, HEAD, POST and
	// OPTIONS on /rpc (405).
	CodeInvalidRPCMethod = "PGRST101"
	// CodeInvalidRange is an unsatisfiable Range header or limit (416).
	CodeInvalidRange = "PGRST103"
	// CodeNotAcceptable is an Accept header none of whose media types the
	// resource can produce (406).
	CodeNotAcceptable = "PGRST107"
	// CodePutRange is a limit or offset on PUT (400).
	CodePutRange = "PGRST114"
	// CodeUnsupportedMethod is an HTTP method PostgREST does not serve (405).
	CodeUnsupportedMethod = "PGRST117"
	// CodeInvalidPreferences is an unknown Prefer with handling=strict (400).
	CodeInvalidPreferences = "PGRST122"
	// CodeInvalidPath is a path that names no resource (404).
	CodeInvalidPath = "PGRST125"

	// codeNegativeLimit and codeNegativeOffset are the SQLSTATEs PostgreSQL
	// raises for a negative LIMIT or OFFSET, which PostgREST forwards with
	// status 400. The parser reports them itself so no statement is sent.
	codeNegativeLimit  = "2201W"
	codeNegativeOffset = "2201X"
)

// Error is a client error in PostgREST's shape. It marshals to PostgREST's
// JSON body {"code","details","hint","message"}, where an empty Details or
// Hint is null. Write it with an encoder whose SetEscapeHTML is false to get
// PostgREST's bytes: json.Marshal escapes the '>' of "->>" as \u003e.
type Error struct {
	// Status is the HTTP status of the response.
	Status int
	// Code is a PGRSTnnn code or a SQLSTATE.
	Code    string
	Message string
	Details string
	Hint    string
	// Err is the underlying cause, if any; it never reaches the client.
	Err error
	// Headers are extra response headers (RAISE SQLSTATE 'PGRST').
	Headers map[string]string
	// DetailsJSON, when set, is the details as a JSON value other than a
	// string (PGRST201's list of relationships).
	DetailsJSON any
}

var _ interface{ HTTPStatus() int } = (*Error)(nil)

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Details != "" {
		b.WriteString(": ")
		b.WriteString(e.Details)
	}
	return b.String()
}

// HTTPStatus is the status of the response that carries the error.
func (e *Error) HTTPStatus() int { return e.Status }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// MarshalJSON writes PostgREST's error body.
func (e *Error) MarshalJSON() ([]byte, error) {
	type body struct {
		Code    string  `json:"code"`
		Details any     `json:"details"`
		Hint    *string `json:"hint"`
		Message string  `json:"message"`
	}
	out := body{Code: e.Code, Message: e.Message}
	switch {
	case e.DetailsJSON != nil:
		out.Details = e.DetailsJSON
	case e.Details != "":
		out.Details = e.Details
	}
	if e.Hint != "" {
		out.Hint = &e.Hint
	}
	// PostgREST writes "->>" as is; encoding/json would escape '>'.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func rangeError(details string) *Error {
	return &Error{
		Status:  http.StatusRequestedRangeNotSatisfiable,
		Code:    CodeInvalidRange,
		Message: "Requested range not satisfiable",
		Details: details,
	}
}

const (
	detailsNegativeLimit = "Limit should be greater than or equal to zero."
	detailsLowerGTUpper  = "The lower boundary must be lower than or equal to the upper boundary in the Range header."
)

func negativeLimitError() *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeNegativeLimit, Message: "LIMIT must not be negative"}
}

func negativeOffsetError() *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeNegativeOffset, Message: "OFFSET must not be negative"}
}

func putRangeError() *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    CodePutRange,
		Message: "Range header and limit/offset querystring parameters are not allowed for PUT",
	}
}

func unsupportedMethodError(method string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    CodeUnsupportedMethod,
		Message: "Unsupported HTTP method: " + method,
	}
}

func invalidRPCMethodError(method string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    CodeInvalidRPCMethod,
		Message: "Cannot use the " + method + " method on RPC",
	}
}

func invalidPathError() *Error {
	return &Error{
		Status:  http.StatusNotFound,
		Code:    CodeInvalidPath,
		Message: "Invalid path specified in request URL",
	}
}

func invalidPreferencesError(invalid []string) *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    CodeInvalidPreferences,
		Message: "Invalid preferences given with handling=strict",
		Details: "Invalid preferences: " + strings.Join(invalid, ", "),
	}
}

func notAcceptableError(accept []MediaType) *Error {
	names := make([]string, len(accept))
	for i, m := range accept {
		names[i] = m.String()
	}
	return &Error{
		Status:  http.StatusNotAcceptable,
		Code:    CodeNotAcceptable,
		Message: "None of these media types are available: " + strings.Join(names, ", "),
	}
}
