package rest

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Reads are compiled once per distinct request: a GET or HEAD whose path,
// query string and the headers the parser reads are those of an earlier
// request on the same schema snapshot reuses its parsed request and
// statement, and only authorisation and the SQL run again. The cache lives
// in the snapshot, so a reload (new schema or new settings) starts empty.
// The compiled statement depends only on the snapshot and the request, not
// on who sends it: row-level security and grants are PostgreSQL's, applied
// when the statement runs under the request's role.

// readCacheMax bounds the entries per snapshot; when full it starts over.
const readCacheMax = 4096

// cachedRead is what a read compiled to; it is shared and never changed.
type cachedRead struct {
	req    *Request
	schema string
	media  MediaType
	st     *Statement
	single bool
}

type readCache struct {
	cur atomic.Pointer[readEntries]
}

type readEntries struct {
	m sync.Map // key → *cachedRead
	n atomic.Int64
}

func (rc *readCache) get(key string) *cachedRead {
	e := rc.cur.Load()
	if e == nil {
		return nil
	}
	v, ok := e.m.Load(key)
	if !ok {
		return nil
	}
	return v.(*cachedRead)
}

func (rc *readCache) put(key string, v *cachedRead) {
	e := rc.cur.Load()
	if e == nil || e.n.Load() >= readCacheMax {
		fresh := &readEntries{}
		if !rc.cur.CompareAndSwap(e, fresh) {
			return // another request just started over
		}
		e = fresh
	}
	if _, loaded := e.m.LoadOrStore(key, v); !loaded {
		e.n.Add(1)
	}
}

// readKey identifies a read by everything ParseRequest looks at, or ""
// for a request that is not a read.
func readKey(r *http.Request, path string) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	h := r.Header
	var b strings.Builder
	b.Grow(len(path) + len(r.URL.RawQuery) + 64)
	b.WriteString(r.Method)
	for _, s := range [...]string{
		path, r.URL.RawQuery, h.Get(headerAcceptProfile), h.Get(headerContentProfile),
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
