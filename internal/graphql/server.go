package graphql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/magflock/mobo/internal/catalog"
	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/kernel"
	"github.com/magflock/mobo/internal/pgcode"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// rpcPath is request.path of GraphQL statements: Supabase serves
// pg_graphql through PostgREST's /rpc/graphql.
const rpcPath = "/rpc/graphql"

// Catalogs is what the GraphQL API needs from the schema cache component:
// each project's current catalog snapshot, the one REST reads too. GraphQL
// serves the snapshot's first exposed schema.
type Catalogs interface {
	Snapshot(ctx context.Context, ref string) (*catalog.Snapshot, error)
}

// Backend is what the GraphQL API needs from the REST component (which
// *rest.Server provides): authentication and the request transaction under
// REST's per-project settings (anonymous access, the search path), which
// GraphQL shares as Supabase's pg_graphql does, being served by PostgREST.
type Backend interface {
	Authenticate(ctx context.Context, r *http.Request) (*gate.Principal, error)
	// QueryJSON runs a statement returning one json value in a
	// transaction of the decision's project under its principal's role
	// and claims.
	QueryJSON(ctx context.Context, d *gate.Decision, write bool, path, headers, sql string, args []any) ([]byte, error)
}

// Options are the dependencies of a [Server].
type Options struct {
	Config Config
	// Catalog gives each project's schema catalog snapshot. Required.
	Catalog Catalogs
	// Backend is required.
	Backend Backend
	// Gate authorizes each relation a request reads or changes (API
	// "graphql") before any SQL runs; its decision runs the statement.
	// Required.
	Gate   *gate.Gate
	Logger *slog.Logger
}

// Server is the "graphql" component: pg_graphql's API at /graphql/v1. It
// holds no goroutines; the generated schema is kept with the schema
// cache's snapshot it was built from ([catalog.Derive]), so it lives as
// long as that snapshot: a reload or an idle spell drops it.
type Server struct {
	opts Options
	cfg  Config
	log  *slog.Logger

	// prepared are the prepared operations of every model, keyed by the
	// snapshot's version.
	prepared *kernel.MemoryCache[*prepared]
}

// modelKey keys the generated schema among a snapshot's derived values.
type modelKey struct{}

var _ kernel.Component = (*Server)(nil)

// New returns the GraphQL server. It panics without a Catalog, a Backend or
// a Gate: the assembly of components is a programming matter.
func New(opts Options) *Server {
	if opts.Catalog == nil || opts.Backend == nil || opts.Gate == nil {
		panic("graphql: New needs a Catalog, a Backend and a Gate")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opts: opts, cfg: opts.Config.withDefaults(), log: log,
		prepared: kernel.NewCostCache(preparedCost, preparedSize),
	}
}

// Name implements [kernel.Component].
func (s *Server) Name() string { return "graphql" }

// Requires implements [kernel.Component].
func (s *Server) Requires() []string { return []string{"rest", "schemacache"} }

// Start implements [kernel.Component].
func (s *Server) Start(context.Context) error { return s.opts.Config.Validate() }

// Stop forgets the generated schemas. It is idempotent.
func (s *Server) Stop(context.Context) error {
	s.prepared.Clear()
	s.prepared.Close() // still usable after a restart; expired entries are then never returned, only not swept
	return nil
}

// model returns the generated schema of project ref's current snapshot,
// generating it once per snapshot; p is who asks, as whom the comment
// directives the snapshot lacks are read.
func (s *Server) model(ctx context.Context, ref string) (*model, error) {
	snap, err := s.opts.Catalog.Snapshot(ctx, ref)
	if err != nil {
		return nil, err
	}
	return catalog.Derive(snap, modelKey{}, func() (*model, error) {
		schema := snap.Schemas()[0]
		cc, err := s.loadComments(ctx, ref, schema)
		if err != nil {
			return nil, err
		}
		m, err := buildModel(snap.Catalog, schema, cc)
		if err != nil {
			return nil, err
		}
		m.prepared = preparedCache{c: s.prepared, prefix: strconv.FormatUint(snap.Version, 36) + "\x00"}
		return m, nil
	})
}

// SDL returns the generated schema of project ref as GraphQL SDL.
func (s *Server) SDL(ctx context.Context, ref string) (string, error) {
	m, err := s.model(ctx, ref)
	if err != nil {
		return "", err
	}
	return m.sdl, nil
}

// Handler serves the API; mount it at /graphql/v1.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

type response struct {
	Data   json.RawMessage `json:"data,omitempty"`
	Errors gqlerror.List   `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, r response) {
	b, _ := json.Marshal(r) // raw json and strings only
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeData writes a response of data alone, compacted by hand: data is
// valid json (from PostgreSQL or the introspection writer), so it needs no
// second validation by encoding/json.
func writeData(w http.ResponseWriter, data []byte) {
	b := make([]byte, 0, len(data)+16)
	b = append(b, `{"data":`...)
	b = appendCompact(b, data)
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// A known length spares the chunked encoding's extra writes.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) //nolint:gosec // G705: json under its content type, not html
}

// overQuotaMessage refuses a write to a project over its size quota.
const overQuotaMessage = "The project's database is over its size quota: writes are refused; deletes are allowed"

// refused answers the sentinel's refusal, if err is one.
func refused(w http.ResponseWriter, r *http.Request, err error) bool {
	var ref *httpx.Refusal
	if !errors.As(err, &ref) {
		return false
	}
	event.NoteFrom(r.Context()).Set(func(e *event.Event) { e.Code = httpx.CodeSentinel })
	ref.SetRetryAfter(w.Header(), time.Now())
	writeJSON(w, ref.Status(), response{Errors: gqlerror.List{{Message: ref.Message(), Extensions: map[string]any{"code": httpx.CodeSentinel}}}})
	return true
}

func clientErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, response{Errors: gqlerror.List{{Message: msg}}})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "authorization, apikey, content-type, x-client-info")
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if acceptsHTML(r) {
			serveGraphiQL(w, r)
			return
		}
		w.Header().Set("Allow", "POST, OPTIONS")
		clientErr(w, http.StatusMethodNotAllowed, "POST a JSON body with a query; a browser gets GraphiQL here")
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		clientErr(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
	if err != nil {
		clientErr(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	if int64(len(body)) > s.cfg.MaxBodyBytes {
		clientErr(w, http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		return
	}
	if !utf8.Valid(body) { // JSON decoding would turn it into U+FFFD
		clientErr(w, http.StatusBadRequest, "the request body is not valid UTF-8")
		return
	}
	var req request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Query == "" {
		clientErr(w, http.StatusBadRequest, "the body must be a JSON object with a query")
		return
	}
	p, err := s.opts.Backend.Authenticate(ctx, r)
	if err != nil {
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) && hs.HTTPStatus() < 500 {
			clientErr(w, hs.HTTPStatus(), "invalid or missing credentials")
			return
		}
		s.internal(w, r, err)
		return
	}
	ref := httpx.ProjectRef(ctx)
	m, err := s.model(ctx, ref)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	st, gerrs := s.prepare(m, req)
	if gerrs != nil {
		writeJSON(w, http.StatusOK, response{Errors: gerrs})
		return
	}
	if st.static != nil {
		writeData(w, st.static)
		return
	}
	d, err := s.opts.Gate.Authorize(ctx, ref, p, st.Actions...)
	if err != nil {
		if refused(w, r, err) {
			return
		}
		if errors.Is(err, gate.ErrOverQuota) {
			clientErr(w, http.StatusForbidden, overQuotaMessage)
			return
		}
		var fe *gate.ForbiddenError
		if errors.As(err, &fe) {
			a := fe.Action
			clientErr(w, http.StatusForbidden, "permission denied: "+a.Schema+"."+a.Relation+" ("+string(a.Op)+")")
			return
		}
		s.internal(w, r, err)
		return
	}
	// request.path and request.headers as Supabase's pg_graphql sees them,
	// served by PostgREST's /rpc/graphql.
	out, err := s.opts.Backend.QueryJSON(ctx, d, st.Write, rpcPath, httpx.HeadersJSON(r.Header), st.SQL, st.Args)
	if err != nil {
		var pe *pgconn.PgError
		switch {
		case refused(w, r, err):
		case pgcode.Unavailable(err), errors.Is(err, context.DeadlineExceeded):
			s.internal(w, r, err)
		case d.OverQuota() && pgcode.Is(err, pgcode.ReadOnlySQLTransaction):
			clientErr(w, http.StatusForbidden, overQuotaMessage)
		case errors.As(err, &pe):
			writeJSON(w, http.StatusOK, response{Errors: gqlerror.List{{Message: pgMessage(pe)}}})
		case errors.Is(err, context.Canceled):
		default:
			s.internal(w, r, err)
		}
		return
	}
	writeData(w, out)
}

// prepare parses, validates and compiles a request, reusing the model's
// prepared operations; client mistakes come back as GraphQL errors.
func (s *Server) prepare(m *model, req request) (*statement, gqlerror.List) {
	key := req.OperationName + "\x00" + req.Query
	p := m.prepared.get(key)
	if p == nil {
		doc, errs := gqlparser.LoadQueryWithRules(m.schema, req.Query, nil)
		if len(errs) > 0 {
			return nil, errs
		}
		op, gerr := pickOperation(doc, req.OperationName)
		if gerr != nil {
			return nil, gqlerror.List{gerr}
		}
		p = &prepared{doc: doc, op: op}
		if len(op.VariableDefinitions) == 0 {
			st, gerrs := s.compile(m, p, nil)
			if gerrs != nil {
				return nil, gerrs
			}
			p.st = st
		}
		m.prepared.put(key, p)
	}
	if p.st != nil {
		return p.st, nil
	}
	vars, err := validator.VariableValues(m.schema, p.op, req.Variables)
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return nil, gqlerror.List{ge}
		}
		return nil, gqlerror.List{{Message: err.Error()}}
	}
	return s.compile(m, p, vars)
}

func (s *Server) compile(m *model, p *prepared, vars map[string]any) (*statement, gqlerror.List) {
	st, err := compile(m, s.cfg, p.doc, p.op, vars)
	if err != nil {
		var qe *queryError
		if errors.As(err, &qe) {
			return nil, gqlerror.List{{Message: qe.msg}}
		}
		return nil, gqlerror.List{{Message: "invalid query"}}
	}
	return st, nil
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlerror.Error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, &gqlerror.Error{Message: "Unknown operation named \"" + name + "\"."}
	}
	if len(doc.Operations) != 1 {
		return nil, &gqlerror.Error{Message: "Must provide operation name if query contains multiple operations."}
	}
	return doc.Operations[0], nil
}

// pgMessage is the client-facing text of a database error.
func pgMessage(pe *pgconn.PgError) string {
	if i := strings.Index(pe.Message, atMostMarker); i >= 0 {
		msg := pe.Message[i+len(atMostMarker):]
		if j := strings.Index(msg, ":"); j >= 0 {
			msg = msg[:j]
		}
		return msg
	}
	return pe.Message
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		// The request timeout passed while the database did not answer.
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusGatewayTimeout, response{Errors: gqlerror.List{{Message: "The database did not answer in time; retry shortly."}}})
		return
	}
	if pgcode.Unavailable(err) {
		// PostgreSQL is down, starting, in recovery or dropped the
		// connection: the client may retry.
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, response{Errors: gqlerror.List{{Message: "The database is unavailable; retry shortly."}}})
		return
	}
	id := httpx.RequestID(r.Context())
	if id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	s.log.ErrorContext(r.Context(), "request failed", "error_id", id, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, response{Errors: gqlerror.List{{
		Message: "Internal server error", Extensions: map[string]any{"error_id": id},
	}}})
}
