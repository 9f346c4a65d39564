package sentinel

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/magflock/mobo/internal/httpx"
)

// Handler serves the sentinel's admin API under /admin/v1/sentinel/; the
// admin component mounts it behind the admin key.
//
//	GET    incidents[?status=open|closed&project=ref&limit=n]
//	GET    incidents/{id}              the incident and its timeline
//	GET    blocks
//	POST   blocks {"scope","subject","duration":"1h","reason"}
//	DELETE blocks?scope=&subject=
//	GET    allow
//	POST   allow {"scope","subject","note"}
//	DELETE allow?scope=&subject=
//	GET    modes
//	PUT    modes {"<agent or sentinel>": "enforce|shadow|off", …}
//	GET    stats
func (s *Sentinel) Handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/admin/v1/sentinel/"
	mux.HandleFunc("GET "+p+"incidents", s.handleIncidents)
	mux.HandleFunc("GET "+p+"incidents/{id}", s.handleIncident)
	mux.HandleFunc("GET "+p+"blocks", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, nonNil(s.Blocks()))
	})
	mux.HandleFunc("POST "+p+"blocks", s.handleBlock)
	mux.HandleFunc("DELETE "+p+"blocks", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s.reply(w, s.Unblock(r.Context(), q.Get("scope"), q.Get("subject")), http.StatusNoContent, nil)
	})
	mux.HandleFunc("GET "+p+"allow", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.AllowList(r.Context())
		s.reply(w, err, http.StatusOK, list)
	})
	mux.HandleFunc("POST "+p+"allow", func(w http.ResponseWriter, r *http.Request) {
		var a AllowEntry
		if !decode(w, r, &a) {
			return
		}
		s.reply(w, s.Allow(r.Context(), a), http.StatusCreated, a)
	})
	mux.HandleFunc("DELETE "+p+"allow", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s.reply(w, s.Disallow(r.Context(), q.Get("scope"), q.Get("subject")), http.StatusNoContent, nil)
	})
	mux.HandleFunc("GET "+p+"modes", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, s.Modes())
	})
	mux.HandleFunc("PUT "+p+"modes", s.handleModes)
	mux.HandleFunc("GET "+p+"stats", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, s.Stats())
	})
	return mux
}

func (s *Sentinel) handleIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := IncidentFilter{Status: q.Get("status"), Project: q.Get("project")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "limit must be a number")
			return
		}
		f.Limit = n
	}
	list, err := s.Incidents(r.Context(), f)
	s.reply(w, err, http.StatusOK, nonNil(list))
}

func (s *Sentinel) handleIncident(w http.ResponseWriter, r *http.Request) {
	inc, timeline, err := s.Incident(r.Context(), r.PathValue("id"))
	s.reply(w, err, http.StatusOK, map[string]any{"incident": inc, "timeline": nonNil(timeline)})
}

func (s *Sentinel) handleBlock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scope    string `json:"scope"`
		Subject  string `json:"subject"`
		Duration string `json:"duration"`
		Reason   string `json:"reason"`
	}
	if !decode(w, r, &req) {
		return
	}
	d, err := time.ParseDuration(req.Duration)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "duration: want a Go duration such as 30m or 24h")
		return
	}
	b, err := s.BlockManually(req.Scope, req.Subject, req.Reason, d)
	s.reply(w, err, http.StatusCreated, b)
}

func (s *Sentinel) handleModes(w http.ResponseWriter, r *http.Request) {
	var req map[string]Mode
	if !decode(w, r, &req) {
		return
	}
	for agent, m := range req {
		if err := s.SetMode(r.Context(), agent, m); err != nil {
			s.reply(w, err, 0, nil)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, s.Modes())
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "the body is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

// reply answers err in the admin API's format, or v with status.
func (s *Sentinel) reply(w http.ResponseWriter, err error, status int, v any) {
	switch {
	case err == nil && v == nil:
		w.WriteHeader(status)
	case err == nil:
		httpx.WriteJSON(w, status, v)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
	default:
		s.log.Error("sentinel admin request failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the sentinel could not do it; see the server log")
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
