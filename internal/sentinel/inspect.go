package sentinel

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/magflock/mobo/internal/httpx"
	"github.com/magflock/mobo/internal/sentinel/event"
)

// Inspect runs the value agents over a statement's bound values (filter
// values, RPC arguments, the strings of JSON bodies, GraphQL arguments)
// before it runs: the gate calls it for every statement it runs for a
// principal, so no API can skip it. A finding is recorded against the
// request's actor; when its scenario refuses such values (and the agent
// enforces, and the actor is not allow-listed), Inspect returns an
// [*httpx.Refusal] and the statement does not run.
func (s *Sentinel) Inspect(ctx context.Context, args []any) error {
	if len(s.values) == 0 || len(args) == 0 {
		return nil
	}
	note := event.NoteFrom(ctx)
	var e event.Event
	if note != nil {
		e = note.Event()
		if s.allow.Load().route[e.Route] {
			return nil
		}
	}
	in := inspection{s: s, budget: s.cfg.MaxInspectBytes}
	for _, a := range args {
		if in.arg(a) {
			break
		}
	}
	if !in.found.Found() {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	shadow := in.mode == ModeShadow
	s.observe(in.found, &e, shadow, excerpt(in.value))
	if shadow || !s.refuses(in.found.Label) || s.allowed(&e) {
		return nil
	}
	s.stats.refusals.Add(1)
	s.metrics.refusals.WithLabelValues("request").Inc()
	return &httpx.Refusal{Reason: in.found.Label}
}

// inspection is one statement's walk over its values.
type inspection struct {
	s      *Sentinel
	budget int
	found  event.Finding
	mode   Mode
	value  string
}

// arg inspects one bound value; it reports whether to stop (a finding, or
// the byte budget spent).
func (in *inspection) arg(a any) bool {
	switch v := a.(type) {
	case string:
		return in.text(v)
	case []string:
		for _, x := range v {
			if in.value1(x) {
				return true
			}
		}
	case []byte:
		return in.text(string(v))
	case json.RawMessage:
		return in.text(string(v))
	case *string:
		if v != nil {
			return in.text(*v)
		}
	}
	return false
}

// text inspects a string value, or the strings inside it when it is a
// JSON document (a body).
func (in *inspection) text(v string) bool {
	if isJSONDoc(v) {
		return walkJSONStrings(v, in.value1)
	}
	return in.value1(v)
}

// value1 inspects one value with every enforcing or shadowed value agent.
func (in *inspection) value1(v string) bool {
	if v == "" {
		return false
	}
	if len(v) > in.budget {
		v = truncateUTF8(v, in.budget)
	}
	in.budget -= len(v)
	in.s.stats.inspected.Add(1)
	modes := in.s.modes.Load().values
	for i, va := range in.s.values {
		m := modes[i]
		if m == ModeOff {
			continue
		}
		if f := va.Inspector.Inspect(v); f.Found() {
			if f.Agent == "" {
				f.Agent = va.Name
			}
			in.found, in.mode, in.value = f, m, v
			return true
		}
	}
	return in.budget <= 0
}

// isJSONDoc reports whether v is (likely) a JSON object or array: a body.
func isJSONDoc(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return json.Valid([]byte(v))
		}
		return false
	}
	return false
}

// walkJSONStrings calls fn for every string value (not key) in the valid
// JSON document doc, until fn returns true.
func walkJSONStrings(doc string, fn func(string) bool) bool {
	type frame struct{ object, wantKey bool }
	var stack []frame
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; c {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		case ':':
			if n := len(stack); n > 0 {
				stack[n-1].wantKey = false
			}
		case '"':
			end, escaped := stringEnd(doc, i)
			if end < 0 {
				return false // unterminated: not a document (isJSONDoc said it was)
			}
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if !isKey {
				raw := doc[i+1 : end]
				if escaped {
					var u string
					if json.Unmarshal([]byte(doc[i:end+1]), &u) == nil {
						raw = u
					}
				}
				if fn(raw) {
					return true
				}
			}
			i = end
		}
	}
	return false
}

// stringEnd returns the index of the quote closing the JSON string that
// opens at doc[i] (-1 if none does), and whether it holds escapes.
func stringEnd(doc string, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, escaped
}

// excerpt is what the forensic record keeps of a value: its first 200
// bytes.
func excerpt(v string) string { return truncateUTF8(v, 200) }

func truncateUTF8(v string, n int) string {
	if len(v) <= n {
		return v
	}
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}
