package rest

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/magflock/mobo/internal/kernel"
)

// Reads are compiled once per distinct request: a GET or HEAD whose path,
// query string and the headers the parser reads are those of an earlier
// request on the same schema snapshot reuses its parsed request and
// statement, and only authorisation and the SQL run again. Entries are keyed
// by snapshot, so a reload (new schema or new settings) starts empty.
// The compiled statement depends only on the snapshot and the request, not
// on who sends it: row-level security and grants are PostgreSQL's, applied
// when the statement runs under the request's role.

// Reads that differ only in the operands of simple filters (id=eq.1,
// id=eq.2) share a shape: the first such read is compiled a second time
// with marker operands, and when the two statements are the same SQL with
// each operand bound, unchanged, as one parameter of its own, later reads
// of the shape reuse the statement with their operands bound in place.

// The compiled reads of every project are kept in one kernel cache of the
// server, whose entries' estimated sizes add up to at most readCacheCost;
// an entry's key starts with its snapshot's sequence number, so a reload
// leaves the reads of the old snapshot to be evicted, and each expires
// readTTL after it was compiled, so that an idle project's reads do not stay
// (a busy project's are compiled again, once per readTTL). Reads whose key
// is longer than readKeyMax are not kept: a client sending ever new or huge
// queries costs a bounded amount of memory.
const (
	readCacheCost = 16 << 20
	readKeyMax    = 2048
	readTTL       = 10 * time.Minute
)

// readCost estimates the memory of a cached read: its key, its SQL and
// parameters, and the parsed request.
func readCost(key string, cr *cachedRead) uint32 {
	n := len(key) + 512
	if cr.st != nil {
		n += len(cr.st.SQL) + 32*len(cr.st.Args)
	}
	return uint32(min(n, 1<<30))
}

// cachedRead is what a read compiled to; it is shared and never changed.
type cachedRead struct {
	req    *Request
	schema string
	media  MediaType
	st     *Statement
	single bool
	// slots, for a shape, are the parameter indexes of its operands.
	slots []int
	// noShape marks a shape that failed the check, so that its reads are
	// not compiled twice again.
	noShape bool
}

// statement is the cached statement with operands bound in its slots.
func (cr *cachedRead) statement(operands []string) *Statement {
	if cr.slots == nil {
		return cr.st
	}
	args := make([]any, len(cr.st.Args))
	copy(args, cr.st.Args)
	for i, j := range cr.slots {
		args[j] = operands[i]
	}
	st := *cr.st
	st.Args = args
	return &st
}

// readCache is one snapshot's view of the server's compiled reads.
type readCache struct {
	c      *kernel.MemoryCache[*cachedRead] // nil: nothing is kept
	prefix string                           // the snapshot's sequence number
}

func (rc readCache) get(key string) *cachedRead {
	if rc.c == nil {
		return nil
	}
	cr, _, _ := rc.c.Get(context.Background(), rc.prefix+key) // a memory cache never fails
	return cr
}

func (rc readCache) put(key string, v *cachedRead) {
	if rc.c == nil || len(key) > readKeyMax {
		return
	}
	_ = rc.c.Set(context.Background(), rc.prefix+key, v, readTTL)
}

// readKey identifies a read by everything ParseRequest looks at, with
// query standing for the query string, or "" for a request that is not a
// read.
func readKey(r *http.Request, path, query string) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	h := r.Header
	var b strings.Builder
	b.Grow(len(path) + len(query) + 64)
	b.WriteString(r.Method)
	for _, s := range [...]string{
		path, query, h.Get(headerAcceptProfile), h.Get(headerContentProfile),
		h.Get(headerRange), h.Get(headerRangeUnit), h.Get(headerContentType),
	} {
		b.WriteByte(0)
		b.WriteString(s)
	}
	for _, name := range [...]string{headerAccept, headerPrefer} {
		b.WriteByte(0)
		for _, v := range h.Values(name) {
			b.WriteString(v)
			b.WriteByte(1)
		}
	}
	return b.String()
}

// shapeOps are the operators whose operand the compiler binds unchanged as
// one parameter when it is a top-level filter's.
var shapeOps = [...]string{"eq.", "neq.", "gt.", "gte.", "lt.", "lte."}

// slotMark stands for an operand in a shape; a query with control
// characters has no shape.
const slotMark = "\x02"

// readShape splits a raw query into its shape, the query with the operands
// of top-level simple filters replaced by slotMark, and those operands
// (decoded). It classifies keys as ParseQuery does; no operands, no shape.
func readShape(rawQuery string) (shape string, operands []string) {
	if strings.ContainsAny(rawQuery, "\x00\x01\x02") {
		return "", nil
	}
	var b strings.Builder
	raw := rawQuery
	for raw != "" {
		pair, sep := raw, byte(0)
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			pair, sep, raw = raw[:i], raw[i], raw[i+1:]
		} else {
			raw = ""
		}
		k, v, hasValue := strings.Cut(pair, "=")
		if op, operand, ok := shapeOperand(k, v, hasValue); ok {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(op)
			b.WriteString(slotMark)
			operands = append(operands, operand)
		} else {
			b.WriteString(pair)
		}
		if sep != 0 {
			b.WriteByte(sep)
		}
	}
	if len(operands) == 0 {
		return "", nil
	}
	return b.String(), operands
}

// shapeOperand reports whether k=v is a top-level filter with a simple
// operator, and returns the operator prefix (raw, "not.eq.") and the
// decoded operand.
func shapeOperand(k, v string, hasValue bool) (op, operand string, ok bool) {
	if !hasValue {
		return "", "", false
	}
	key := urlDecode(k)
	switch key {
	case "select", "columns", "on_conflict":
		return "", "", false
	}
	if strings.ContainsRune(key, '.') {
		return "", "", false // an embedded resource's filter, order, limit…
	}
	switch key {
	case "order", "limit", "offset", "and", "or":
		return "", "", false
	}
	// The prefix must be plain in the raw query, so that the shape keeps it.
	rest := strings.TrimPrefix(v, "not.")
	for _, o := range shapeOps {
		if strings.HasPrefix(rest, o) {
			n := len(v) - len(rest) + len(o)
			return v[:n], urlDecode(v[n:]), true
		}
	}
	return "", "", false
}

// markerQuery is shape with the i-th slot holding markerOperand(i).
func markerQuery(shape string) string {
	var b strings.Builder
	for i := 0; ; i++ {
		before, after, found := strings.Cut(shape, slotMark)
		b.WriteString(before)
		if !found {
			return b.String()
		}
		b.WriteString(url.QueryEscape(markerOperand(i)))
		shape = after
	}
}

const markerPrefix = "\x1fmobo-operand-"

func markerOperand(i int) string { return markerPrefix + strconv.Itoa(i) + "\x1f" }

// learnShape checks that the shape of the read just compiled to st binds
// each operand unchanged as a parameter of its own, by compiling the shape
// again with marker operands, and caches it if so.
func (c *call) learnShape(st *Statement, media MediaType) {
	if c.shapeKey == "" || c.req.Target.Kind != TargetRelation {
		return
	}
	if st.Explain != nil {
		// Its operands are bound in two statements: kept whole only.
		c.sc.reads.put(c.shapeKey, &cachedRead{noShape: true})
		return
	}
	if slots, ok := c.shapeSlots(st, media); ok {
		c.sc.reads.put(c.shapeKey, &cachedRead{req: c.req, schema: c.schema, media: c.media, st: st, slots: slots})
	} else {
		c.sc.reads.put(c.shapeKey, &cachedRead{noShape: true})
	}
}

// shapeSlots compiles the shape with marker operands and finds where each
// operand is bound, if the check passes.
func (c *call) shapeSlots(st *Statement, media MediaType) ([]int, bool) {
	mreq, err := ParseRequest(c.r.Method, c.path, markerQuery(c.shape), c.r.Header)
	if err != nil {
		return nil, false
	}
	mst, err := newCompiler(c.sc, c.cfg, c.schema, mreq).compileRead(media)
	if err != nil || mst.SQL != st.SQL || len(mst.Args) != len(st.Args) {
		return nil, false
	}
	slots := make([]int, len(c.operands))
	for i := range slots {
		slots[i] = -1
	}
	for j, a := range mst.Args {
		i := -1
		if m, ok := a.(string); ok && strings.HasPrefix(m, markerPrefix) {
			for k := range c.operands {
				if m == markerOperand(k) {
					i = k
				}
			}
		}
		switch {
		case i >= 0 && slots[i] == -1 && st.Args[j] == any(c.operands[i]):
			slots[i] = j
		case i >= 0:
			return nil, false // bound twice, or changed
		case !reflect.DeepEqual(a, st.Args[j]):
			return nil, false // a parameter that depends on an operand
		}
	}
	for _, j := range slots {
		if j == -1 {
			return nil, false
		}
	}
	return slots, true
}
