package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Phoenix and Supabase Realtime event names.
const (
	evJoin        = "phx_join"
	evLeave       = "phx_leave"
	evReply       = "phx_reply"
	evClose       = "phx_close"
	evError       = "phx_error"
	evHeartbeat   = "heartbeat"
	evAccessToken = "access_token"
	evBroadcast   = "broadcast"
	evPresence    = "presence"
	evPresState   = "presence_state"
	evPresDiff    = "presence_diff"
	evPGChanges   = "postgres_changes"
	evSystem      = "system"

	topicPhoenix = "phoenix"
	topicPrefix  = "realtime:"
)

// Binary frame kinds of the 2.0.0 serializer (realtime-js lib/serializer).
const (
	kindUserBroadcastPush = 3 // client → server
	kindUserBroadcast     = 4 // server → client

	encodingBinary = 0
	encodingJSON   = 1
)

// inMsg is a decoded client message. Refs are null or strings.
type inMsg struct {
	JoinRef *string
	Ref     *string
	Topic   string
	Event   string
	Payload json.RawMessage
	// bin is set for a binary user broadcast push (2.0.0).
	bin *binaryPush
}

type binaryPush struct {
	Event    string
	Meta     json.RawMessage
	Encoding byte
	Payload  []byte
}

var errBadFrame = errors.New("malformed frame")

// decodeText decodes a text frame: a JSON object (1.0.0) or a five-element
// array (2.0.0).
func decodeText(b []byte, v2 bool) (*inMsg, error) {
	if v2 {
		var arr [5]json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadFrame, err)
		}
		m := &inMsg{Payload: arr[4]}
		if err := json.Unmarshal(arr[0], &m.JoinRef); err != nil {
			return nil, fmt.Errorf("%w: join_ref: %w", errBadFrame, err)
		}
		if err := json.Unmarshal(arr[1], &m.Ref); err != nil {
			return nil, fmt.Errorf("%w: ref: %w", errBadFrame, err)
		}
		if err := json.Unmarshal(arr[2], &m.Topic); err != nil {
			return nil, fmt.Errorf("%w: topic: %w", errBadFrame, err)
		}
		if err := json.Unmarshal(arr[3], &m.Event); err != nil {
			return nil, fmt.Errorf("%w: event: %w", errBadFrame, err)
		}
		return m, nil
	}
	var o struct {
		JoinRef *string         `json:"join_ref"`
		Ref     *string         `json:"ref"`
		Topic   string          `json:"topic"`
		Event   string          `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadFrame, err)
	}
	return &inMsg{JoinRef: o.JoinRef, Ref: o.Ref, Topic: o.Topic, Event: o.Event, Payload: o.Payload}, nil
}

// decodeBinary decodes a 2.0.0 user broadcast push:
// kind, len(join_ref), len(ref), len(topic), len(event), len(meta), encoding,
// then those strings, then the payload.
func decodeBinary(b []byte) (*inMsg, error) {
	if len(b) < 7 || b[0] != kindUserBroadcastPush {
		return nil, fmt.Errorf("%w: unknown binary frame", errBadFrame)
	}
	lens := []int{int(b[1]), int(b[2]), int(b[3]), int(b[4]), int(b[5])}
	enc := b[6]
	off := 7
	parts := make([]string, 5)
	for i, n := range lens {
		if off+n > len(b) {
			return nil, fmt.Errorf("%w: short binary frame", errBadFrame)
		}
		parts[i] = string(b[off : off+n])
		off += n
	}
	if enc != encodingBinary && enc != encodingJSON {
		return nil, fmt.Errorf("%w: payload encoding %d", errBadFrame, enc)
	}
	m := &inMsg{Topic: parts[2], Event: evBroadcast, bin: &binaryPush{Event: parts[3], Encoding: enc, Payload: b[off:]}}
	if parts[0] != "" {
		m.JoinRef = &parts[0]
	}
	if parts[1] != "" {
		m.Ref = &parts[1]
	}
	if parts[4] != "" {
		m.bin.Meta = json.RawMessage(parts[4])
		if !json.Valid(m.bin.Meta) {
			return nil, fmt.Errorf("%w: broadcast metadata is not JSON", errBadFrame)
		}
	}
	if enc == encodingJSON && !json.Valid(m.bin.Payload) {
		return nil, fmt.Errorf("%w: broadcast payload is not JSON", errBadFrame)
	}
	return m, nil
}

// frame is one message ready for the socket.
type frame struct {
	data   []byte
	binary bool
}

// encodeText encodes a server message for the socket's serializer. payload
// must be valid JSON.
func encodeText(v2 bool, joinRef, ref *string, topic, event string, payload json.RawMessage) frame {
	if v2 {
		arr := [5]any{joinRef, ref, topic, event, payload}
		b, _ := json.Marshal(arr) // strings, nil and valid raw JSON always encode
		return frame{data: b}
	}
	o := struct {
		JoinRef *string         `json:"join_ref"`
		Ref     *string         `json:"ref"`
		Topic   string          `json:"topic"`
		Event   string          `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}{joinRef, ref, topic, event, payload}
	b, _ := json.Marshal(o)
	return frame{data: b}
}

// encodePush encodes a server push (null refs) without re-validating
// payload, which must be valid JSON.
func encodePush(v2 bool, topic, event string, payload []byte) frame {
	b := make([]byte, 0, len(payload)+len(topic)+len(event)+64)
	if v2 {
		b = append(b, "[null,null,"...)
		b, _ = appendJSONString(b, topic)
		b = append(b, ',')
		b, _ = appendJSONString(b, event)
		b = append(b, ',')
		b = append(b, payload...)
		return frame{data: append(b, ']')}
	}
	b = append(b, `{"join_ref":null,"ref":null,"topic":`...)
	b, _ = appendJSONString(b, topic)
	b = append(b, `,"event":`...)
	b, _ = appendJSONString(b, event)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	return frame{data: append(b, '}')}
}

// encodeUserBroadcast encodes a broadcast as a 2.0.0 binary frame: kind,
// len(topic), len(event), len(meta), encoding, the strings, the payload. It
// reports false when a field is too long for the format.
func encodeUserBroadcast(topic, event string, meta json.RawMessage, enc byte, payload []byte) (frame, bool) {
	if len(topic) > 255 || len(event) > 255 || len(meta) > 255 {
		return frame{}, false
	}
	b := make([]byte, 0, 5+len(topic)+len(event)+len(meta)+len(payload))
	b = append(b, kindUserBroadcast, byte(len(topic)), byte(len(event)), byte(len(meta)), enc) //nolint:gosec // lengths checked above
	b = append(b, topic...)
	b = append(b, event...)
	b = append(b, meta...)
	b = append(b, payload...)
	return frame{data: b, binary: true}, true
}

// replyPayload is a phx_reply payload.
func replyPayload(status string, response any) json.RawMessage {
	if response == nil {
		response = struct{}{}
	}
	b, _ := json.Marshal(map[string]any{"status": status, "response": response})
	return b
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("realtime: encoding %T: %v", v, err)) // only our own types reach here
	}
	return b
}
