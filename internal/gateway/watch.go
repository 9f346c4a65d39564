package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// record completes the request's event with what the gateway knows once
// it is answered (status, size, row count; the client was noted when it
// came) and gives it to the sentinel.
func (g *Gateway) record(note *event.Note, r *http.Request, rw *statusWriter, start time.Time) {
	e := note.Event()
	e.Time, e.Kind = start, kindOf(e)
	e.Project, e.API = rw.project, rw.api
	e.Status, e.Bytes = rw.status, rw.bytes
	if e.Rows == 0 {
		e.Rows = rowsOf(rw.Header().Get("Content-Range"))
	}
	if e.Route == "" {
		e.Route, e.Relation = routeOf(rw.api, r.URL.Path, e.Relation)
	}
	g.watch.Record(&e)
}

func kindOf(e event.Event) event.Kind {
	if e.Auth != nil {
		return event.KindAuth
	}
	return event.KindRequest
}

// rowsOf reads the rows of a PostgREST Content-Range ("0-24/*", "*/0").
func rowsOf(cr string) int64 {
	span, _, ok := strings.Cut(cr, "/")
	if !ok {
		return 0
	}
	lo, hi, ok := strings.Cut(span, "-")
	if !ok {
		return 0
	}
	a, err1 := strconv.ParseInt(lo, 10, 64)
	b, err2 := strconv.ParseInt(hi, 10, 64)
	if err1 != nil || err2 != nil || b < a {
		return 0
	}
	return b - a + 1
}

// routeOf names a request the gate did not authorize (an unknown
// relation, a refused credential, an auth endpoint) with a bounded name:
// the API and, for REST, the relation the client asked for (which may not
// exist: scanning shows as many of those), capped in length.
func routeOf(api, path, relation string) (route, rel string) {
	if relation != "" {
		return api + ":" + relation, relation
	}
	switch api {
	case "rest":
		rest, ok := strings.CutPrefix(path, "/rest/v1/")
		if !ok || rest == "" {
			return "rest:", ""
		}
		name, _, _ := strings.Cut(rest, "/")
		if len(name) > 63 {
			name = name[:63]
		}
		return "rest:" + name, name
	case "auth":
		ep := strings.TrimPrefix(path, "/auth/v1/")
		ep, _, _ = strings.Cut(ep, "/")
		if len(ep) > 32 {
			ep = ep[:32]
		}
		return "auth:" + ep, ""
	}
	return api, ""
}

// refuse answers a request the sentinel refused, in the format of the API
// it was for.
func refuse(w http.ResponseWriter, r *http.Request, path string, ref *httpx.Refusal) {
	event.NoteFrom(r.Context()).Set(func(e *event.Event) { e.Code = httpx.CodeSentinel })
	ref.SetRetryAfter(w.Header(), time.Now())
	if strings.HasPrefix(path, "/auth/") { // Supabase Auth's shape
		httpx.WriteJSON(w, ref.Status(), map[string]any{"code": ref.Status(), "error_code": httpx.CodeSentinel, "msg": ref.Message()})
		return
	}
	httpx.WriteJSON(w, ref.Status(), map[string]any{ // PostgREST's shape
		"code": httpx.CodeSentinel, "message": ref.Message(), "details": nil, "hint": nil,
	})
}
