package httpx

import (
	"encoding/json"
	"net/http"
	"strings"
)

// HeadersJSON is PostgREST's request.headers: h as a JSON object of
// lower-case names, the values of a repeated header joined by commas.
func HeadersJSON(h http.Header) string {
	n := 2
	for k, v := range h {
		n += len(k) + 4
		for _, s := range v {
			n += len(s) + 3
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('{')
	first := true
	for k, v := range h {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONLower(&b, k)
		b.WriteByte(':')
		if len(v) == 1 {
			writeJSONString(&b, v[0])
		} else {
			writeJSONString(&b, strings.Join(v, ","))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSONLower writes s in lower case as a JSON string.
func writeJSONLower(b *strings.Builder, s string) {
	if !plainJSON(s) {
		writeJSONString(b, strings.ToLower(s))
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

// plainJSON reports whether s is ASCII that needs no escaping in a JSON string.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// writeJSONString writes s as a JSON string.
func writeJSONString(b *strings.Builder, s string) {
	if plainJSON(s) {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	q, _ := json.Marshal(s) // a string always encodes
	b.Write(q)
}
