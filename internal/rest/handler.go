package rest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/pgcode"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// Response headers.
const (
	headerContentRange      = "Content-Range"
	headerLocation          = "Location"
	headerContentLocation   = "Content-Location"
	headerPreferenceApplied = "Preference-Applied"
	headerWWWAuthenticate   = "WWW-Authenticate"
	headerContentProfileRes = "Content-Profile"
)

// maxEchoedLocation bounds the Content-Location a read echoes; a longer
// request URL gets none.
const maxEchoedLocation = 8 << 10

// result is the row every compiled statement returns.
type result struct {
	total *int64
	n     int64
	body  []byte
	loc   []string
	// inserted, for a POST merging duplicates, says whether it inserted a
	// row (else it only updated: 200, not 201).
	inserted *bool
	// text is a body already in the response's media type.
	text bool
}

// call is one request being served.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	req    *Request
	p      *gate.Principal
	d      *gate.Decision // the gate's decision for the request's target
	ref    string         // the project
	sc     *Schema
	cfg    *Config // the project's settings, from the snapshot
	schema string
	media  MediaType
	path   string // relative to /rest/v1, for request.path
	// readKey, for a GET or HEAD, keys its compiled form in the
	// snapshot's read cache; shapeKey keys its shape, of which operands
	// are the operands.
	readKey, shapeKey, shape string
	operands                 []string
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	path := r.URL.EscapedPath()
	if i := strings.Index(path, "/rest/v1"); i >= 0 {
		path = path[i+len("/rest/v1"):]
	}
	c := &call{s: s, w: w, r: r, path: path}
	if cors(w, r) {
		return // a preflight request
	}
	// The project's snapshot comes first: its settings say whether
	// anonymous requests are allowed.
	c.ref = httpx.ProjectRef(ctx)
	sc, err := s.schema(ctx, c.ref)
	if err != nil {
		c.fail(err)
		return
	}
	c.sc, c.cfg = sc, sc.config()
	p, err := s.authenticate(ctx, r, c.cfg)
	if err != nil {
		c.fail(err)
		return
	}
	c.p = p
	if c.readKey = readKey(r, path, r.URL.RawQuery); c.readKey != "" {
		hit := c.sc.reads.get(c.readKey)
		if hit == nil {
			if c.shape, c.operands = readShape(r.URL.RawQuery); c.shape != "" {
				c.shapeKey = readKey(r, path, c.shape)
				hit = c.sc.reads.get(c.shapeKey)
				if hit != nil && hit.noShape {
					hit, c.shapeKey = nil, ""
				}
			}
		}
		if hit != nil {
			c.req, c.schema, c.media = hit.req, hit.schema, hit.media
			if len(c.cfg.schemas()) > 1 {
				w.Header().Set(headerContentProfileRes, c.schema)
			}
			c.finish(c.serveCached(ctx, hit))
			return
		}
	}
	req, err := ParseRequest(r.Method, path, r.URL.RawQuery, r.Header)
	if err != nil {
		c.fail(err)
		return
	}
	c.req = req
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", allowed(req.Target))
		w.WriteHeader(http.StatusOK)
		return
	}
	if c.schema, err = pickSchema(c.cfg, req.Profile); err != nil {
		c.fail(err)
		return
	}
	if len(c.cfg.schemas()) > 1 {
		w.Header().Set(headerContentProfileRes, c.schema)
	}
	c.finish(c.serve(ctx))
}

// finish answers a failed request with its error; a schema-cache miss may
// mean the cache is behind, so it asks for a reload.
func (c *call) finish(err error) {
	if err == nil {
		return
	}
	if e, ok := asRESTError(err); ok {
		switch e.Code {
		case CodeNoRelation, CodeNoFunction, CodeNoRelationship, CodeNoColumn, "42703":
			c.s.opts.Catalog.Missed(c.ref)
		}
	}
	c.fail(err)
}

// serveCached runs a read compiled by an earlier request.
func (c *call) serveCached(ctx context.Context, hit *cachedRead) error {
	op := gate.OpRead
	if hit.req.Target.Kind == TargetRoutine {
		op = gate.OpExecute
	}
	if err := c.authorize(ctx, hit.req.Target.Name, op); err != nil {
		return err
	}
	return c.run(ctx, hit.statement(c.operands), hit.single, false)
}

// remember keeps a compiled read for the next identical request.
func (c *call) remember(st *Statement, single bool) {
	if c.readKey != "" {
		c.sc.reads.put(c.readKey, &cachedRead{req: c.req, schema: c.schema, media: c.media, st: st, single: single})
	}
}

// cors adds PostgREST's CORS headers for browser clients and answers a
// preflight request, which carries no credentials; it reports whether it did.
func cors(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Origin") == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusOK)
	return true
}

func allowed(t Target) string {
	switch t.Kind {
	case TargetRoutine:
		return "OPTIONS,GET,HEAD,POST"
	case TargetRelation:
		return "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"
	}
	return "OPTIONS,GET,HEAD"
}

func pickSchema(cfg *Config, profile string) (string, error) {
	schemas := cfg.schemas()
	if profile == "" {
		return schemas[0], nil
	}
	if slices.Contains(schemas, profile) {
		return profile, nil
	}
	return "", clientError(http.StatusNotAcceptable, CodeInvalidSchema,
		"The schema must be one of the following: "+strings.Join(schemas, ", "), "", "")
}

// authenticate maps credentials to a principal, with PostgREST's 401s.
func (s *Server) authenticate(ctx context.Context, r *http.Request, cfg *Config) (*gate.Principal, error) {
	creds := gate.FromRequest(r)
	if cfg.DisableAnonymous && creds.APIKey == "" && creds.Bearer == "" {
		return nil, authError(CodeAnonDisabled, "Anonymous access is disabled", "")
	}
	p, err := s.opts.Gate.Authenticate(ctx, httpx.ProjectRef(ctx), creds)
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, gate.ErrNoCredentials):
		return nil, authError(CodeAnonDisabled, "Anonymous access is disabled", "")
	case errors.Is(err, gate.ErrExpiredToken):
		return nil, authError(CodeJWTClaims, "JWT expired", `Bearer error="invalid_token", error_description="JWT expired"`)
	case errors.Is(err, gate.ErrInvalidToken):
		return nil, authError(CodeJWT, "JWT cryptographic operation failed", `Bearer error="invalid_token", error_description="JWT cryptographic operation failed"`)
	}
	return nil, err
}

// authError is a 401; www is the WWW-Authenticate challenge.
type authErr struct {
	err *Error
	www string
}

func (e *authErr) Error() string { return e.err.Error() }
func (e *authErr) Unwrap() error { return e.err }

func authError(code, msg, www string) error {
	if www == "" {
		www = "Bearer"
	}
	return &authErr{err: clientError(http.StatusUnauthorized, code, msg, "", ""), www: www}
}

// fail writes err as PostgREST's error body.
func (c *call) fail(err error) {
	var ae *authErr
	if errors.As(err, &ae) {
		c.w.Header().Set(headerWWWAuthenticate, ae.www)
	}
	var pe *pgconn.PgError
	var refusal *httpx.Refusal
	e, ok := asRESTError(err)
	switch {
	case ok:
	case errors.As(err, &refusal):
		e = &Error{Status: refusal.Status(), Code: httpx.CodeSentinel, Message: refusal.Message()}
		refusal.SetRetryAfter(c.w.Header(), time.Now())
	case errors.Is(err, gate.ErrOverQuota) || (c.d != nil && c.d.OverQuota() && pgcode.Is(err, pgcode.ReadOnlySQLTransaction)):
		e = overQuotaError()
	case pgcode.Unavailable(err):
		// PostgreSQL is down, starting, in recovery or dropped the
		// connection: the client may retry, as PostgREST's PGRST000/001
		// say, never a 500.
		e = unavailableError(err)
	case errors.As(err, &pe):
		e = pgError(pe, c.p != nil && c.p.Role == "anon")
	case errors.Is(err, gate.ErrForbidden):
		e = clientError(http.StatusForbidden, "42501", "permission denied", "", "")
	case errors.Is(err, context.Canceled):
		return // the client is gone
	case errors.Is(err, context.DeadlineExceeded):
		e = timeoutError()
	default:
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) && hs.HTTPStatus() < 500 {
			c.w.WriteHeader(hs.HTTPStatus())
			return
		}
		if errors.As(err, &hs) && hs.HTTPStatus() == http.StatusServiceUnavailable {
			// The platform is out of connections for now: the client may
			// retry, as PostgREST's PGRST000/PGRST003 say.
			e = &Error{Status: http.StatusServiceUnavailable, Code: "PGRST003", Message: "Timed out acquiring connection from connection pool.", Details: err.Error()}
			e.Headers = map[string]string{"Retry-After": "1"}
			break
		}
		id := httpx.RequestID(c.r.Context())
		if id == "" {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.s.log.ErrorContext(c.r.Context(), "request failed", "error_id", id, "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "Internal server error", Details: "error id: " + id}
	}
	event.NoteFrom(c.r.Context()).Set(func(ev *event.Event) {
		ev.Code = e.Code
		if pe != nil {
			ev.SQLState = pe.Code
		}
	})
	b, _ := e.MarshalJSON() // strings only; cannot fail
	h := c.w.Header()
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	h.Del(headerContentRange)
	h.Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(e.Status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(b)
	}
}

// authorize asks the gate whether the request's principal may do op on
// name; its decision is what runs the statement ([call.run]).
func (c *call) authorize(ctx context.Context, name string, op gate.Op) error {
	d, err := c.s.opts.Gate.Authorize(ctx, c.ref, c.p, gate.Action{API: gate.APIRest, Schema: c.schema, Relation: name, Op: op})
	c.d = d
	return err
}

var (
	readOffers = []MediaType{
		{Kind: MediaJSON},
		{Kind: MediaArrayJSON, NullsStripped: true},
		{Kind: MediaObjectJSON},
		{Kind: MediaCSV},
		{Kind: MediaGeoJSON},
	}
	readOffersPlan = append(slices.Clone(readOffers), MediaType{Kind: MediaPlan})
	schemaOffers   = []MediaType{{Kind: MediaOpenAPI}, {Kind: MediaJSON}}
)

func (c *call) serve(ctx context.Context) error {
	req := c.req
	offers := readOffers
	if c.cfg.Plan {
		offers = readOffersPlan
	}
	if req.Target.Kind == TargetSchema {
		offers = schemaOffers
	}
	media, err := Negotiate(req.Accept, offers)
	if err != nil {
		return err
	}
	c.media = media
	if media.Kind == MediaPlan {
		media = MediaType{Kind: media.PlanFor, NullsStripped: media.NullsStripped}
	}
	comp := newCompiler(c.sc, c.cfg, c.schema, req)
	switch req.Target.Kind {
	case TargetSchema:
		return c.serveOpenAPI()
	case TargetRoutine:
		var body []byte
		if req.Method == http.MethodPost {
			if body, err = c.readBody(); err != nil {
				return err
			}
		}
		if err := c.authorize(ctx, req.Target.Name, gate.OpExecute); err != nil {
			return err
		}
		st, single, err := comp.compileRPC(body, media)
		if err != nil {
			return err
		}
		if req.Method != http.MethodPost {
			c.remember(st, single)
		}
		return c.run(ctx, st, single, req.Method == http.MethodPost)
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		if err := c.authorize(ctx, req.Target.Name, gate.OpRead); err != nil {
			return err
		}
		st, err := comp.compileRead(media)
		if err != nil {
			return err
		}
		c.remember(st, false)
		c.learnShape(st, media)
		return c.run(ctx, st, false, false)
	}
	op := gate.OpWrite
	var body []byte
	if req.Method == http.MethodDelete {
		op = gate.OpDelete
	} else if body, err = c.readBody(); err != nil {
		return err
	}
	if err := c.authorize(ctx, req.Target.Name, op); err != nil {
		return err
	}
	location := req.Method == http.MethodPost && req.Prefer.Return == ReturnHeadersOnly
	st, err := comp.compileMutation(body, media, location)
	if err != nil {
		return err
	}
	return c.run(ctx, st, false, true)
}

func (c *call) readBody() ([]byte, error) {
	limit := c.cfg.maxBody()
	b, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		return nil, invalidBodyError(err.Error())
	}
	if int64(len(b)) > limit {
		return nil, clientError(http.StatusRequestEntityTooLarge, CodeInvalidBody, "Request body too large", "", "")
	}
	switch c.req.ContentType.Kind {
	case MediaJSON, MediaAny:
	case MediaCSV:
		return csvToJSON(b)
	case MediaURLEncoded:
		return formToJSON(b)
	default:
		if c.req.Target.Kind != TargetRoutine {
			return nil, clientError(http.StatusUnsupportedMediaType, "PGRST107",
				"None of these media types are available: "+c.req.ContentType.String(), "", "")
		}
	}
	return b, nil
}

func formToJSON(b []byte) ([]byte, error) {
	vals, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, invalidBodyError(err.Error())
	}
	obj := map[string]string{}
	for k, v := range vals {
		obj[k] = v[len(v)-1]
	}
	return json.Marshal(obj)
}

// headersJSON is request.headers ([httpx.HeadersJSON]).
func (c *call) headersJSON() string { return httpx.HeadersJSON(c.r.Header) }

// run executes st in one transaction under the request's role and writes
// the response. write says whether the request may change data.
func (c *call) run(ctx context.Context, st *Statement, single, write bool) error {
	req := c.req
	plan := c.media.Kind == MediaPlan
	settings := gate.Settings{Method: req.Method, Path: c.path, SearchPath: c.sc.searchPath(c.schema), ReadOnly: !write, TimeZone: c.timezone()}
	if settings.BuiltinOnly = st.BuiltinOnly && !write && !plan; !settings.BuiltinOnly {
		settings.Headers = c.headersJSON() // read by nothing else
	}
	rollback := c.cfg.TxOverrides && req.Prefer.Tx == TxRollback
	// A check that may undo the writes needs the result before the end of
	// the transaction: that costs a second round trip.
	check := write && !rollback && (c.media.Kind == MediaObjectJSON || (req.Prefer.HasMaxAffected && req.Prefer.Handling == HandlingStrict))

	sess, err := c.d.Acquire(ctx)
	if err != nil {
		return err
	}
	defer sess.Release()
	var res result
	var planOut []string
	tp := gate.Plan{Settings: settings, SQL: st.SQL, Args: st.Args, Rollback: rollback, Hold: check}
	var planned []byte
	switch {
	case plan:
		tp.SQL = explainPrefix(c.media) + st.SQL
	case st.Explain != nil:
		tp.Then = []gate.Statement{{SQL: st.Explain.SQL, Args: st.Explain.Args}}
	}
	err = sess.Run(ctx, tp, func(br pgx.BatchResults) error {
		if plan {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					rows.Close()
					return err
				}
				planOut = append(planOut, line)
			}
			rows.Close()
			return rows.Err()
		}
		res.text = st.Text
		if err := res.scan(br); err != nil {
			return err
		}
		if tp.Then != nil {
			return br.QueryRow().Scan(&planned)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if tp.Then != nil {
		res.total = c.estimatedTotal(res.total, planRows(planned))
	}
	if plan {
		return c.writePlan(planOut)
	}
	if check {
		var cerr error
		switch {
		case req.Prefer.HasMaxAffected && req.Prefer.Handling == HandlingStrict && res.n > req.Prefer.MaxAffected:
			cerr = clientError(http.StatusBadRequest, CodeMaxAffected, "Query result exceeds max-affected preference constraint",
				fmt.Sprintf("The query affects %d rows", res.n), "")
		case c.media.Kind == MediaObjectJSON && req.Prefer.Return == ReturnRepresentation && res.n != 1:
			cerr = singularityError(res.n)
		}
		if err := sess.End(ctx, cerr == nil); err != nil {
			return err
		}
		if cerr != nil {
			return cerr
		}
	}
	return c.respond(&res, single, write)
}

// scan reads the statement's one row from br. The usual row (a count, a
// JSON or text body, no locations, no insert flag) is decoded here from the
// raw values:
// pgx's Scan plans each column's conversion anew for every statement,
// which showed on the request path's profile. Any other row goes through
// Scan.
func (res *result) scan(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if !res.decode(rows.FieldDescriptions(), rows.RawValues()) {
		if err := rows.Scan(&res.total, &res.n, &res.body, &res.loc, &res.inserted); err != nil {
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

// decode sets res from a row of (int8 total, int8 n, json or text body,
// null locations, null insert flag) and reports whether the row was one.
func (res *result) decode(fds []pgconn.FieldDescription, raw [][]byte) bool {
	if len(fds) != 5 || len(raw) != 5 || raw[3] != nil || raw[4] != nil {
		return false
	}
	total, ok := int8Value(fds[0], raw[0])
	if !ok {
		return false
	}
	n, ok := int8Value(fds[1], raw[1])
	if !ok || n == nil {
		return false
	}
	switch fds[2].DataTypeOID {
	case pgtype.JSONOID, pgtype.TextOID: // the same bytes in either format
	default:
		return false
	}
	res.total, res.n, res.loc, res.inserted = total, *n, nil, nil
	res.body = nil
	if raw[2] != nil {
		res.body = bytes.Clone(raw[2])
	}
	return true
}

// int8Value decodes a binary int8 or NULL.
func int8Value(fd pgconn.FieldDescription, raw []byte) (*int64, bool) {
	switch {
	case fd.DataTypeOID != pgtype.Int8OID:
		return nil, false
	case raw == nil:
		return nil, true
	case fd.Format != pgtype.BinaryFormatCode || len(raw) != 8:
		return nil, false
	}
	v := int64(binary.BigEndian.Uint64(raw)) //nolint:gosec // an int8 is sent as its two's complement bits
	return &v, true
}

// estimatedTotal is the total PostgREST answers count=planned with (the
// planner's estimate) and count=estimated with: the exact count up to
// max-rows, past it the larger of that and the estimate.
func (c *call) estimatedTotal(exact, planned *int64) *int64 {
	if c.req.Prefer.Count == CountPlanned {
		return planned
	}
	if exact == nil || planned == nil || (c.cfg.MaxRows > 0 && *exact <= c.cfg.MaxRows) {
		return exact
	}
	return ptr(max(*exact, *planned))
}

func ptr[T any](v T) *T { return &v }

// planRows is the row estimate of the top node of an EXPLAIN (FORMAT
// JSON), or nil.
func planRows(explain []byte) *int64 {
	var out []struct {
		Plan struct {
			Rows *float64 `json:"Plan Rows"`
		}
	}
	if json.Unmarshal(explain, &out) != nil || len(out) == 0 || out[0].Plan.Rows == nil {
		return nil
	}
	return ptr(int64(*out[0].Plan.Rows))
}

// timezone is the valid Prefer: timezone, or "" (an unknown zone is
// ignored, as PostgREST does with handling=lenient).
func (c *call) timezone() string {
	tz := c.req.Prefer.Timezone
	if tz == "" {
		return ""
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return ""
	}
	return tz
}

func explainPrefix(m MediaType) string {
	var opts []string
	if m.PlanFormat == PlanJSON {
		opts = append(opts, "FORMAT JSON")
	} else {
		opts = append(opts, "FORMAT TEXT")
	}
	for _, o := range planOptionNames {
		if m.PlanOptions&o.opt != 0 {
			opts = append(opts, strings.ToUpper(o.name))
		}
	}
	return "EXPLAIN (" + strings.Join(opts, ", ") + ") "
}

func (c *call) writePlan(lines []string) error {
	// PostgREST's type: the format, "for" when the client gave one, the
	// options in its order.
	c.w.Header().Set("Content-Type", c.media.String()+"; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(c.w, strings.Join(lines, "\n"))
	return nil
}

// prefsApplied lists the honoured preferences in PostgREST's order:
// resolution (only where an ON CONFLICT applies), missing and return on
// writes to a relation, then count, tx, handling, timezone and a strict max-affected.
func (c *call) prefsApplied(write bool) string {
	p := c.req.Prefer
	var out []string
	add := func(ok bool, v string) {
		if ok {
			out = append(out, v)
		}
	}
	if p.Return == ReturnUnset && p.Count == CountUnset && p.Resolution == ResolutionUnset && p.Missing == MissingUnset &&
		p.Handling == HandlingUnset && p.Tx == TxUnset && p.Timezone == "" {
		return "" // none that could apply: the common case, without allocations
	}
	if write && c.req.Target.Kind == TargetRelation {
		add(c.upserts() && p.Resolution == MergeDuplicates, "resolution=merge-duplicates")
		add(c.upserts() && p.Resolution == IgnoreDuplicates, "resolution=ignore-duplicates")
		add(p.Missing == MissingDefault, "missing=default")
		add(p.Missing == MissingNull, "missing=null")
		add(p.Return == ReturnRepresentation, "return=representation")
		add(p.Return == ReturnMinimal, "return=minimal")
		add(p.Return == ReturnHeadersOnly, "return=headers-only")
	}
	add(p.Count == CountExact, "count=exact")
	add(p.Count == CountPlanned, "count=planned")
	add(p.Count == CountEstimated, "count=estimated")
	add(c.cfg.TxOverrides && p.Tx == TxCommit, "tx=commit")
	add(c.cfg.TxOverrides && p.Tx == TxRollback, "tx=rollback")
	add(p.Handling == HandlingStrict, "handling=strict")
	add(p.Handling == HandlingLenient, "handling=lenient")
	if tz := c.timezone(); tz != "" {
		add(true, "timezone="+tz)
	}
	if write && p.HasMaxAffected && p.Handling == HandlingStrict {
		add(true, "max-affected="+strconv.FormatInt(p.MaxAffected, 10))
	}
	return strings.Join(out, ", ")
}

// upserts reports whether a write's resolution applies: a POST on a
// relation with on_conflict= or a primary key.
func (c *call) upserts() bool {
	if c.req.Method != http.MethodPost || c.req.Target.Kind != TargetRelation {
		return false
	}
	if c.req.Query.OnConflict != nil {
		return true
	}
	rel := c.sc.Relations[QName{Schema: c.schema, Name: c.req.Target.Name}]
	return rel != nil && len(rel.PK) > 0
}

func (c *call) respond(res *result, single, write bool) error {
	req := c.req
	h := c.w.Header()
	if pa := c.prefsApplied(write); pa != "" {
		h.Set(headerPreferenceApplied, pa)
	}
	total := "*"
	if res.total != nil {
		total = strconv.FormatInt(*res.total, 10)
	}
	status := http.StatusOK
	isRelation := req.Target.Kind == TargetRelation
	if isRelation && write {
		switch req.Method {
		case http.MethodPost:
			status = http.StatusCreated
			if res.inserted != nil && !*res.inserted {
				status = http.StatusOK
			}
			if res.total != nil || req.Prefer.Count != CountUnset {
				total = strconv.FormatInt(res.n, 10)
			}
			h.Set(headerContentRange, "*/"+total)
			if len(res.loc) > 0 {
				h.Set(headerLocation, c.location(res.loc))
			}
		default:
			if req.Prefer.Count != CountUnset {
				total = strconv.FormatInt(res.n, 10)
			}
			h.Set(headerContentRange, contentRange(0, res.n, total))
			if req.Prefer.Return != ReturnRepresentation {
				status = http.StatusNoContent
			}
		}
		if req.Prefer.Return != ReturnRepresentation {
			c.w.WriteHeader(status)
			return nil
		}
	} else if res.body == nil && res.n == 0 && req.Target.Kind == TargetRoutine && !single {
		// A void function.
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	} else {
		offset := req.Range.Offset
		h.Set(headerContentRange, contentRange(offset, res.n, total))
		if isRelation {
			loc := "/" + url.PathEscape(req.Target.Name)
			if q := c.r.URL.RawQuery; q != "" {
				loc += "?" + q
			}
			if len(loc) <= maxEchoedLocation { // a huge URL is not echoed back whole
				h.Set(headerContentLocation, loc)
			}
		}
		if res.total != nil {
			switch {
			case offset > 0 && offset >= *res.total && res.n == 0 && *res.total > 0:
				return clientError(http.StatusRequestedRangeNotSatisfiable, CodeInvalidRange, "Requested range not satisfiable",
					fmt.Sprintf("An offset of %d was requested, but there are only %d rows.", offset, *res.total), "")
			case res.n < *res.total:
				status = http.StatusPartialContent
			}
		}
	}
	body := res.body
	if body == nil && !res.text {
		body = []byte("null") // a function that returned NULL
	}
	if single {
		body = firstElement(body)
	}
	if c.media.Kind == MediaObjectJSON && !single {
		if res.n != 1 {
			return singularityError(res.n)
		}
		body = firstElement(body)
	}
	ct := "application/json; charset=utf-8"
	switch c.media.Kind {
	case MediaCSV:
		var err error
		if !res.text {
			if body, err = jsonToCSV(body); err != nil {
				return err
			}
		}
		ct = "text/csv; charset=utf-8"
	case MediaGeoJSON:
		ct = "application/geo+json; charset=utf-8"
	case MediaObjectJSON:
		ct = "application/vnd.pgrst.object+json; charset=utf-8"
		if c.media.NullsStripped {
			ct = "application/vnd.pgrst.object+json; nulls=stripped; charset=utf-8"
		}
	case MediaArrayJSON:
		ct = "application/vnd.pgrst.array+json; nulls=stripped; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	if req.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
	return nil
}

func contentRange(offset, n int64, total string) string {
	if n == 0 {
		return "*/" + total
	}
	return strconv.FormatInt(offset, 10) + "-" + strconv.FormatInt(offset+n-1, 10) + "/" + total
}

// firstElement is the single element of a JSON array of one, or null.
func firstElement(body []byte) []byte {
	t := bytes.TrimSpace(body)
	if len(t) < 2 || t[0] != '[' {
		return t
	}
	inner := bytes.TrimSpace(t[1 : len(t)-1])
	if len(inner) == 0 {
		return []byte("null")
	}
	return inner
}

func (c *call) location(pk []string) string {
	rel := c.sc.Relations[QName{Schema: c.schema, Name: c.req.Target.Name}]
	var q []string
	for i, k := range rel.PK {
		if i < len(pk) {
			q = append(q, url.QueryEscape(k)+"=eq."+url.QueryEscape(pk[i]))
		}
	}
	return "/" + url.PathEscape(c.req.Target.Name) + "?" + strings.Join(q, "&")
}
