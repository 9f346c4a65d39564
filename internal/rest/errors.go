package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflock/mobo/internal/suggest"
)

// PostgREST codes of errors found after parsing: schema-cache misses, body
// errors, authentication and request-level checks.
const (
	CodeInvalidBody        = "PGRST102"
	CodeInvalidFilters     = "PGRST105"
	CodeInvalidSchema      = "PGRST106"
	CodeSingularity        = "PGRST116"
	CodePutMismatch        = "PGRST115"
	CodeAggregates         = "PGRST123"
	CodeMaxAffected        = "PGRST124"
	CodeNotImplemented     = "PGRST127"
	CodeNoRelationship     = "PGRST200"
	CodeAmbiguousEmbedding = "PGRST201"
	CodeNoFunction         = "PGRST202"
	CodeAmbiguousFunction  = "PGRST203"
	CodeNoColumn           = "PGRST204"
	CodeNoRelation         = "PGRST205"
	CodeJWT                = "PGRST301"
	CodeAnonDisabled       = "PGRST302"
	CodeJWTClaims          = "PGRST303"
	CodeInternal           = "PGRSTX00"
)

// ErrInvalidConfig: a project's REST settings, or a change to them, are
// malformed (an unknown key, a value of the wrong type, a bad schema name).
// The admin API answers it with a 400.
var ErrInvalidConfig error = badSettings("invalid REST settings")

// badSettings is a client's mistake in settings: HTTP 400.
type badSettings string

func (e badSettings) Error() string { return string(e) }

// HTTPStatus is 400.
func (badSettings) HTTPStatus() int { return http.StatusBadRequest }

func clientError(status int, code, msg, details, hint string) *Error {
	return &Error{Status: status, Code: code, Message: msg, Details: details, Hint: hint}
}

func noRelationError(sc *Schema, schema, name string) *Error {
	e := clientError(http.StatusNotFound, CodeNoRelation,
		fmt.Sprintf("Could not find the table '%s.%s' in the schema cache", schema, name), "", "")
	if m := closest(name, sc.RelationNames(schema)); m != "" {
		e.Hint = fmt.Sprintf("Perhaps you meant the table '%s.%s'", schema, m)
	}
	return e
}

// noColumnError is PostgreSQL's undefined_column, which PostgREST forwards
// for unknown columns in select, filters and order.
func noColumnError(rel *Relation, col string) *Error {
	e := clientError(http.StatusBadRequest, "42703", fmt.Sprintf("column %s.%s does not exist", rel.Name, col), "", "")
	names := make([]string, len(rel.Columns))
	for i, c := range rel.Columns {
		names[i] = c.Name
	}
	if m := closest(col, names); m != "" {
		e.Hint = fmt.Sprintf("Perhaps you meant to reference the column \"%s.%s\".", rel.Name, m)
	}
	return e
}

// noPayloadColumnError is PGRST204: a body key that names no column.
func noPayloadColumnError(rel *Relation, col string) *Error {
	return clientError(http.StatusBadRequest, CodeNoColumn,
		fmt.Sprintf("Could not find the '%s' column of '%s' in the schema cache", col, rel.Name), "", "")
}

func noRelationshipError(sc *Schema, parent *Relation, name, hint string) *Error {
	using := ""
	if hint != "" {
		using = "' using the hint '" + hint
	}
	e := clientError(http.StatusBadRequest, CodeNoRelationship,
		fmt.Sprintf("Could not find a relationship between '%s' and '%s' in the schema cache", parent.Name, name),
		fmt.Sprintf("Searched for a foreign key relationship between '%s' and '%s%s' in the schema '%s', but no matches were found.", parent.Name, name, using, parent.Schema), "")
	var cands []string
	for _, r := range sc.allRelationships(parent) {
		cands = append(cands, r.target.Name)
	}
	if m := closest(name, cands); m != "" && m != name {
		e.Hint = fmt.Sprintf("Perhaps you meant '%s' instead of '%s'.", m, name)
	}
	return e
}

// ambiguousEmbeddingError is PGRST201: its details list the relationships
// found, its hint how to name each.
func ambiguousEmbeddingError(parent *Relation, name string, rels []*relationship) *Error {
	details := make([]relDetail, len(rels))
	h := make([]string, len(rels))
	for i, r := range rels {
		details[i] = r.detail()
		h[i] = fmt.Sprintf("'%s!%s'", r.target.Name, r.hintName())
	}
	e := clientError(http.StatusMultipleChoices, CodeAmbiguousEmbedding,
		fmt.Sprintf("Could not embed because more than one relationship was found for '%s' and '%s'", parent.Name, name), "",
		"Try changing '"+name+"' to one of the following: "+strings.Join(h, ", ")+". Find the desired relationship in the 'details' key.")
	e.DetailsJSON = details
	return e
}

func invalidBodyError(details string) *Error {
	return clientError(http.StatusBadRequest, CodeInvalidBody, "Empty or invalid json", details, "")
}

// bodyError is PGRST102 with a message of its own.
func bodyError(msg string) *Error {
	return clientError(http.StatusBadRequest, CodeInvalidBody, msg, "", "")
}

func singularityError(n int64) *Error {
	return clientError(http.StatusNotAcceptable, CodeSingularity, "Cannot coerce the result to a single JSON object",
		fmt.Sprintf("The result contains %d rows", n), "")
}

// closest is the candidate nearest to s by edit distance, if near enough.
func closest(s string, cands []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range cands {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// pgError turns a PostgreSQL error into PostgREST's body and status, as
// PostgREST documents the mapping. anon tells 42501 apart: 401 for the
// anonymous role, 403 for others.
func pgError(pe *pgconn.PgError, anon bool) *Error {
	if pe.Code == "PGRST" {
		if e := customError(pe); e != nil {
			return e
		}
	}
	e := &Error{Code: pe.Code, Message: pe.Message, Details: pe.Detail, Hint: pe.Hint, Err: pe}
	e.Status = sqlStateStatus(pe.Code, anon)
	if strings.HasPrefix(pe.Code, "PT") {
		if n, err := strconv.Atoi(pe.Code[2:]); err == nil && n >= 100 && n <= 599 {
			e.Status = n
		}
	}
	return e
}

func sqlStateStatus(code string, anon bool) int {
	switch code {
	case "23503", "23505":
		return http.StatusConflict
	case "25006":
		return http.StatusMethodNotAllowed
	case "42883", "42P01":
		return http.StatusNotFound
	case "42P17", "57P01":
		return http.StatusInternalServerError
	case "42501":
		if anon {
			return http.StatusUnauthorized
		}
		return http.StatusForbidden
	case "57014":
		return http.StatusGatewayTimeout
	case "P0001":
		return http.StatusBadRequest
	}
	if len(code) < 2 {
		return http.StatusInternalServerError
	}
	switch code[:2] {
	case "08", "53":
		return http.StatusServiceUnavailable
	case "0L", "0P", "28":
		return http.StatusForbidden
	case "09", "25", "2D", "38", "39", "3B", "40", "54", "55", "57", "58", "F0", "HV", "P0", "XX":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// asRESTError reports whether err carries a client-facing error.
func asRESTError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// customError is PostgREST's RAISE SQLSTATE 'PGRST': the message is the
// error body as JSON, the detail the status and headers.
func customError(pe *pgconn.PgError) *Error {
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
		Hint    string `json:"hint"`
	}
	var meta struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
	}
	if json.Unmarshal([]byte(pe.Message), &body) != nil || json.Unmarshal([]byte(pe.Detail), &meta) != nil ||
		meta.Status < 100 || meta.Status > 599 {
		return nil
	}
	return &Error{Status: meta.Status, Code: body.Code, Message: body.Message, Details: body.Details, Hint: body.Hint, Headers: meta.Headers, Err: pe}
}

// distance is suggest.Distance, bounded: names this long are no typo worth a hint.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	return suggest.Distance(a, b)
}

// unavailableError is PostgREST's 503 for a database that cannot serve now:
// PGRST000 when no connection could be made, PGRST001 when the server
// ended it; PostgreSQL's own message is the details.
func unavailableError(err error) *Error {
	e := &Error{Status: http.StatusServiceUnavailable, Code: "PGRST001", Message: "Database client error. Retrying the connection.", Err: err}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	if errors.As(err, &ce) {
		e.Code, e.Message = "PGRST000", "Database connection error. Retrying the connection."
	}
	if errors.As(err, &pe) {
		e.Details = pe.Message
	}
	e.Headers = map[string]string{"Retry-After": "1"}
	return e
}

// timeoutError answers a request that ran out of time (the gateway's
// request timeout) waiting for the database: 504, as PostgREST answers a
// timed-out wait for a connection; the client may retry.
func timeoutError() *Error {
	return &Error{
		Status: http.StatusGatewayTimeout, Code: "PGRST003", Message: "Timed out acquiring connection from connection pool.",
		Details: "The database did not answer within the request timeout.", Headers: map[string]string{"Retry-After": "1"},
	}
}

// overQuotaError refuses a write to a project over its size quota, with
// PostgreSQL's disk_full code; deletes still go through.
func overQuotaError() *Error {
	return clientError(http.StatusForbidden, "53100", "The project's database is over its size quota: writes are refused",
		"", "Delete rows to shrink it (deletes are allowed), or raise its size limit (mobo project limits REF --db-size-limit).")
}
