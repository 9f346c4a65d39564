package realtime

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
)

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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxMessageBytes))
	if err := dec.Decode(&body); err != nil {
		badBody(w, err, "invalid JSON body")
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
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxMessageBytes))
	if err != nil {
		badBody(w, err, "reading the body")
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

func (s *Server) httpPrincipal(w http.ResponseWriter, r *http.Request) (*gate.Principal, bool) {
	ref := httpx.ProjectRef(r.Context())
	pr, err := s.gate.Authenticate(r.Context(), ref, gate.FromRequest(r))
	if err != nil {
		httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": tokenError(err)})
		return nil, false
	}
	return pr, true
}

func (s *Server) sendHTTP(w http.ResponseWriter, r *http.Request, pr *gate.Principal, msgs []*Broadcast) {
	ctx := r.Context()
	ref := httpx.ProjectRef(ctx)
	if _, err := s.startProject(ref); err != nil {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "realtime is not running"})
		return
	}
	// Every message needs the gate's decision to write on its topic and,
	// on a private topic, realtime.messages' policies; all are checked
	// before any is sent.
	decisions := make([]*gate.Decision, len(msgs))
	private := map[string]bool{}
	for i, b := range msgs {
		d, err := s.gate.Authorize(ctx, ref, pr, topicAction(gate.APIBroadcast, gate.OpWrite, b.Topic))
		ok := err == nil
		if err == nil && b.Private {
			var seen bool
			if ok, seen = private[b.Topic]; !seen {
				_, ok, err = authorizePrivate(ctx, d, b.Topic)
				private[b.Topic] = ok
			}
		}
		if err != nil && !gate.IsForbidden(err) {
			id := httpx.RequestID(ctx)
			s.log.Error("authorising a broadcast", "ref", ref, "err", err, "error_id", id)
			httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"message": "internal error", "error_id": id})
			return
		}
		if !ok {
			httpx.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "Unauthorized: You do not have permissions to write to this Channel topic: " + b.Topic})
			return
		}
		decisions[i] = d
	}
	for i, b := range msgs {
		if err := s.publishBroadcast(ctx, decisions[i], b); err != nil {
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

// badBody answers a body that could not be read: 413 when it is larger
// than realtime.max_message_bytes (never truncated), else 400.
func badBody(w http.ResponseWriter, err error, msg string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		httpx.WriteJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "the body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes"})
		return
	}
	httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": msg})
}
