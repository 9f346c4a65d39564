package slo

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/magflock/mobo/internal/httpx"
)

// Handler serves the engine's admin API under /admin/v1/slo/; the admin
// component mounts it behind the admin key.
//
//	GET    objectives                  each objective: SLI, budget, burn rates
//	GET    alerts[?all=true]           pending and firing alerts (all: every one)
//	POST   alerts/{id}/ack {"by","comment"}
//	GET    history[?alert=id&limit=n]  transitions, notifications, acks, escalations, silences; newest first
//	GET    silences[?all=true]         in force or to come (all: ended ones too)
//	POST   silences {"objective","api","project","severity","starts_at","ends_at" or "duration":"2h","created_by","comment"}
//	DELETE silences/{id}               expire it now
func (e *Engine) Handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/admin/v1/slo/"
	mux.HandleFunc("GET "+p+"objectives", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, e.Objectives())
	})
	mux.HandleFunc("GET "+p+"alerts", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, e.Alerts(r.URL.Query().Get("all") == "true"))
	})
	mux.HandleFunc("POST "+p+"alerts/{id}/ack", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			By      string `json:"by"`
			Comment string `json:"comment"`
		}
		if !decode(w, r, &req) {
			return
		}
		a, err := e.Acknowledge(r.PathValue("id"), req.By, req.Comment)
		e.reply(w, err, http.StatusOK, a)
	})
	mux.HandleFunc("GET "+p+"history", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := HistoryFilter{Alert: q.Get("alert")}
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid", "limit must be a number")
				return
			}
			f.Limit = n
		}
		list, err := e.History(r.Context(), f)
		e.reply(w, err, http.StatusOK, nonNil(list))
	})
	mux.HandleFunc("GET "+p+"silences", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, e.Silences(r.URL.Query().Get("all") == "true"))
	})
	mux.HandleFunc("POST "+p+"silences", e.handleSilence)
	mux.HandleFunc("DELETE "+p+"silences/{id}", func(w http.ResponseWriter, r *http.Request) {
		e.reply(w, e.ExpireSilence(r.Context(), r.PathValue("id")), http.StatusNoContent, nil)
	})
	return mux
}

func (e *Engine) handleSilence(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Silence
		Duration string `json:"duration"`
	}
	if !decode(w, r, &req) {
		return
	}
	s := req.Silence
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, "invalid", "duration: want a positive Go duration such as 2h or 30m")
			return
		}
		if s.StartsAt.IsZero() {
			s.StartsAt = e.now()
		}
		s.EndsAt = s.StartsAt.Add(d)
	}
	s, err := e.AddSilence(r.Context(), s)
	e.reply(w, err, http.StatusCreated, s)
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
func (e *Engine) reply(w http.ResponseWriter, err error, status int, v any) {
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
		id := newID()
		e.log.Error("slo admin request failed", "error_id", id, "err", err)
		httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"code": "internal", "message": "the slo engine could not do it; see the server log", "error_id": id})
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
