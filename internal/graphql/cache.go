package graphql

import (
	"context"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/magflock/mobo/internal/kernel"
)

// Clients send the same few documents over and over, so the server keeps
// parsed and validated operations by model, document and operation name,
// and the compiled statement of those that take no variables, in one kernel
// cache whose entries' estimated sizes add up to at most preparedCost.
// Entries are keyed by model, so a schema reload starts empty; documents
// longer than maxPreparedQuery are not kept. Both bound what a client
// sending ever new documents can make it hold.
const (
	preparedCost     = 16 << 20
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

// preparedTTL is how long a prepared operation is kept after it was
// prepared: an idle project's go, a busy one's are prepared again.
const preparedTTL = 10 * time.Minute

// preparedSize estimates a prepared operation's memory: the document
// parsed is some times its text, which the key holds.
func preparedSize(key string, p *prepared) uint32 {
	n := 4*len(key) + 1024
	if p.st != nil {
		n += len(p.st.SQL) + 32*len(p.st.Args)
	}
	return uint32(min(n, 1<<30))
}

// preparedCache is one model's view of the server's prepared operations.
type preparedCache struct {
	c      *kernel.MemoryCache[*prepared]
	prefix string // the model's sequence number
}

func (pc preparedCache) get(key string) *prepared {
	if pc.c == nil {
		return nil
	}
	p, _, _ := pc.c.Get(context.Background(), pc.prefix+key) // a memory cache never fails
	return p
}

func (pc preparedCache) put(key string, p *prepared) {
	if pc.c == nil || len(key) > maxPreparedQuery {
		return
	}
	_ = pc.c.Set(context.Background(), pc.prefix+key, p, preparedTTL)
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
