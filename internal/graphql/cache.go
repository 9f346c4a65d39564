package graphql

import (
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// Clients send the same few documents over and over, so each model keeps
// its parsed and validated operations by document and operation name, and
// the compiled statement of those that take no variables. The cache dies
// with the model (a schema reload) and is cleared when it grows past
// maxPrepared entries; documents longer than maxPreparedQuery are not kept.
// Both bound what a client sending ever new documents can make it hold.

const (
	maxPrepared      = 500
	maxPreparedQuery = 8 << 10
)

// prepared is a parsed and validated operation. It is shared by requests
// and never changed once stored.
type prepared struct {
	doc *ast.QueryDocument
	op  *ast.OperationDefinition
	// st is the compiled statement when the operation declares no
	// variables (so it compiles the same every time), else nil.
	st *statement
}

type preparedCache struct {
	mu sync.RWMutex
	m  map[string]*prepared
}

func (c *preparedCache) get(key string) *prepared {
	c.mu.RLock()
	p := c.m[key]
	c.mu.RUnlock()
	return p
}

func (c *preparedCache) put(key string, p *prepared) {
	if len(key) > maxPreparedQuery {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxPrepared {
		c.m = make(map[string]*prepared)
	}
	c.m[key] = p
	c.mu.Unlock()
}

// appendCompact appends src, json from PostgreSQL (valid, with spaces
// after its colons and commas), without the whitespace outside strings.
func appendCompact(dst, src []byte) []byte {
	inString, escaped := false, false
	start := 0
	for i, ch := range src {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
		case ch == '"':
			inString = true
		case ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r':
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}
