package realtime

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/magflock/mobo/internal/authn"
	"github.com/magflock/mobo/internal/httpx"
)

const maxBroadcastBody = 1 << 20

// serveBroadcast is POST /realtime/v1/api/broadcast:
// {"messages": [{"topic", "event", "payload", "private"}]} → 202.
func (s *Server) serveBroadcast(w http.ResponseWriter, r *http.Request) {
	pr, ok := s.httpPrincipal(w, r)
	if !ok {
		return
	}
	var body struct {
		Messages []struct {
			Topic   string          `json:"topic"`
			Event   string          `json:"event"`
			Payload json.RawMessage `json:"payload"`
			Private bool            `json:"private"`
		} `json:"messages"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBroadcastBody))
	if err := dec.Decode(&body); err != nil {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid JSON body"})
		return
	}
	msgs := make([]*Broadcast, 0, len(body.Messages))
	for _, m := range body.Messages {
		if m.Topic == "" {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "a message needs a topic"})
			return
		}
		payload := []byte(m.Payload)
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		msgs = append(msgs, &Broadcast{Topic: strings.TrimPrefix(m.Topic, topicPrefix), Event: m.Event, Payload: payload, Private: m.Private})
	}
	s.sendHTTP(w, r, pr, msgs)
}

// serveBroadcastEvent is POST /realtime/v1/api/broadcast/{topic}/events/{event}
// (realtime-js httpSend): the body is the payload, JSON or binary.
func (s *Server) serveBroadcastEvent(w http.ResponseWriter, r *http.Request) {
	pr, ok := s.httpPrincipal(w, r)
	if !ok {
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxBroadcastBody))
	if err != nil {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "reading the body"})
		return
	}
	b := &Broadcast{Topic: r.PathValue("topic"), Event: r.PathValue("event"), Payload: payload, Private: r.URL.Query().Get("private") == "true"}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		b.Binary = true
	} else if !json.Valid(payload) {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "the payload is not JSON"})
		return
	}
	s.sendHTTP(w, r, pr, []*Broadcast{b})
}

func (s *Server) httpPrincipal(w http.ResponseWriter, r *http.Request) (*authn.Principal, bool) {
	ref := httpx.ProjectRef(r.Context())
	pr, err := s.auth.Authenticate(r.Context(), ref, authn.FromRequest(r))
	if err != nil {
		httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": tokenError(err)})
		return nil, false
	}
	return pr, true
}

func (s *Server) sendHTTP(w http.ResponseWriter, r *http.Request, pr *authn.Principal, msgs []*Broadcast) {
	ctx := r.Context()
	ref := httpx.ProjectRef(ctx)
	if _, err := s.startProject(ref); err != nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "realtime is not running"})
		return
	}
	allowed := map[string]bool{}
	for _, b := range msgs {
		if !b.Private {
			continue
		}
		ok, seen := allowed[b.Topic]
		if !seen {
			pool, err := s.projects.Pool(ctx, ref)
			if err == nil {
				_, ok, err = authorizePrivate(ctx, pool, pr, b.Topic)
			}
			if err != nil {
				id := httpx.RequestID(ctx)
				s.log.Error("authorising a broadcast", "ref", ref, "err", err, "error_id", id)
				httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"message": "internal error", "error_id": id})
				return
			}
			allowed[b.Topic] = ok
		}
		if !ok {
			httpx.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "Unauthorized: You do not have permissions to write to this Channel topic: " + b.Topic})
			return
		}
	}
	for _, b := range msgs {
		if err := s.publishBroadcast(ctx, ref, b); err != nil {
			if errors.Is(err, ctx.Err()) {
				return
			}
			id := httpx.RequestID(ctx)
			s.log.Error("publishing a broadcast", "ref", ref, "err", err, "error_id", id)
			httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"message": "internal error", "error_id": id})
			return
		}
	}
	w.WriteHeader(http.StatusAccepted)
}
