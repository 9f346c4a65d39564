package realtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magflock/mobo/internal/kernel"
)

// busBlock bounds how long the capture waits for the fan-out to take a
// change; past it the capture reconnects and replays from the confirmed
// position instead of dropping anything.
const busBlock = 10 * time.Second

// project is one project's capture and fan-out.
type project struct {
	s       *Server
	ref     string
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started atomic.Int64 // unix ns when the current capture run began
	// published is the commit position of the last transaction whose
	// changes this process published: a capture that resumes from an older
	// position (the slot's confirmed position persists only at PostgreSQL's
	// checkpoints, so a crash rewinds it) skips what it sees again, so that
	// no subscriber gets a change twice.
	published atomic.Uint64

	// Capture runs only while needed: see acquire, release and resume.
	capMu     sync.Mutex
	users     int                // channels joined (any kind)
	want      bool               // the capture should run
	capCancel context.CancelFunc // ends the running capture; nil when none
	idle      *time.Timer        // stops the capture once idle for the grace period
	wake      chan struct{}      // tells the capture goroutine that want changed
	retry     chan struct{}      // tells a capture waiting after an error to retry now (Server.Reset)

	changes, broadcasts *kernel.Subscription
	joins               chan joinReq // channels to register, with their held changes

	mu        sync.RWMutex
	channels  map[*channel]struct{}
	streaming bool                                        // the capture streams the slot (ready.go)
	presence  map[presenceTopic]map[string][]presenceMeta // key → metas

	// Owned by the changes goroutine.
	hold      []*Change
	seq       uint64
	delivered map[string]heldMark // channel topic → last change dispatched to it
	scratch   dispatchScratch
}

type heldMark struct {
	seq  uint64
	when time.Time
}

type presenceTopic struct {
	sub     string
	private bool
}

type presenceMeta struct {
	ref  string // phx_ref
	meta json.RawMessage
	ch   *channel
}

// Broadcast is a broadcast message, published on the bus under
// realtime.<ref>.broadcast.<topic>.
type Broadcast struct {
	Topic   string // without the "realtime:" prefix
	Event   string
	Payload []byte // JSON, or raw bytes when Binary
	Binary  bool
	Private bool
	Meta    json.RawMessage
	from    *channel // the sending channel, skipped unless it asked for self
	id      string   // realtime.messages' id, for a broadcast from the database
}

// presenceDiff is published on the bus under realtime.<ref>.presence.<topic>.
type presenceDiff struct {
	topic presenceTopic
	diff  json.RawMessage
}

func newProject(s *Server, r *run, ref string) (*project, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	p := &project{
		s: s, ref: ref, ctx: ctx, cancel: cancel,
		wake:      make(chan struct{}, 1),
		retry:     make(chan struct{}, 1),
		joins:     make(chan joinReq),
		channels:  map[*channel]struct{}{},
		presence:  map[presenceTopic]map[string][]presenceMeta{},
		delivered: map[string]heldMark{},
	}
	var err error
	if p.changes, err = s.bus.Subscribe("realtime."+ref+".changes.>", kernel.QueueSize(4096), kernel.Block(busBlock)); err != nil {
		cancel()
		return nil, err
	}
	if p.broadcasts, err = s.bus.Subscribe("realtime."+ref+".fanout.>", kernel.QueueSize(4096), kernel.Block(busBlock)); err != nil {
		p.changes.Unsubscribe()
		cancel()
		return nil, err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		p.wg.Add(3)
		go func() { defer p.wg.Done(); p.runCapture(ctx) }()
		go func() { defer p.wg.Done(); p.runChanges(ctx) }()
		go func() { defer p.wg.Done(); p.runBroadcasts(ctx) }()
		p.wg.Wait()
	}()
	return p, nil
}

// stop stops the project's goroutines and waits for them.
func (p *project) stop() {
	p.capMu.Lock()
	if p.idle != nil {
		p.idle.Stop()
		p.idle = nil
	}
	p.capMu.Unlock()
	p.cancel()
	p.changes.Unsubscribe()
	p.broadcasts.Unsubscribe()
	p.wg.Wait()
}

// maxBatch bounds the changes dispatched (and authorised) together.
const maxBatch = 512

// runChanges delivers decoded changes, and held changes to channels that
// (re)join, in one goroutine so that both keep commit order. The changes
// waiting on the bus are taken together, so that their visibility checks
// share queries.
func (p *project) runChanges(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var batch []*Change
	take := func(ev kernel.Event) {
		if c, _ := ev.Data.(*Change); c != nil {
			p.seq++
			c.seq = p.seq
			p.hold = append(p.hold, c)
			batch = append(batch, c)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.trimHold(time.Now())
		case req := <-p.joins:
			p.register(ctx, req)
		case ev, ok := <-p.changes.C():
			if !ok {
				return
			}
			take(ev)
		more:
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-p.changes.C():
					if !ok {
						break more
					}
					take(ev)
				default:
					break more
				}
			}
			p.dispatch(ctx, batch, nil)
			p.observeLag(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
}

func (p *project) trimHold(now time.Time) {
	cut := now.Add(-p.s.cfg.HoldWindow)
	i := 0
	for i < len(p.hold) && p.hold[i].Commit.Before(cut) && !p.hold[i].Commit.IsZero() {
		i++
	}
	if i > 0 {
		p.hold = append(p.hold[:0:0], p.hold[i:]...)
	}
	for t, m := range p.delivered {
		if m.when.Before(cut) {
			delete(p.delivered, t)
		}
	}
}

// replay sends a joining channel the held changes its topic has not been
// sent: for a topic this process served within the window, those after the
// last one dispatched to it; for any topic, those committed before the
// current capture run started (while mobo was down or the capture idle). A
// topic new to this process is not sent changes it never subscribed to.
func (p *project) replay(ctx context.Context, ch *channel) {
	mark, known := p.delivered[ch.topic]
	started := time.Unix(0, p.started.Load())
	var todo []*Change
	for _, c := range p.hold {
		if c.seq > mark.seq && (known || c.Commit.Before(started)) && time.Since(c.Commit) <= p.s.cfg.HoldWindow {
			todo = append(todo, c)
		}
	}
	for len(todo) > 0 {
		n := min(len(todo), maxBatch)
		p.dispatch(ctx, todo[:n], ch)
		todo = todo[n:]
	}
}

type target struct {
	ch   *channel
	ids  []uint32     // the matched bindings
	sels []*selection // their selects, parallel to ids; nil when none has one
	v    *viewer
}

// pending is a change with the channels it goes to and, once authorised,
// which of them may see it.
type pending struct {
	c       *Change
	targets []target
	visible []bool
	// The visibility check: the row's key and, per target, the index of
	// its check group (-1: none).
	rowKey string
	group  []int32
}

// dispatch sends changes, in order, to the channels whose bindings match
// them (only to ch when given) and whose principal may select the row.
func (p *project) dispatch(ctx context.Context, changes []*Change, only *channel) {
	if len(changes) == 0 {
		return
	}
	sc := &p.scratch
	defer sc.reset()
	work := sc.work
	slab := sc.ids // the targets' ids
	p.mu.RLock()
	for _, c := range changes {
		tstart := len(sc.targets)
		for ch := range p.channels {
			if (only != nil && ch != only) || len(ch.pg) == 0 {
				continue
			}
			start := len(slab)
			var sels []*selection
			for _, b := range ch.pg {
				if b.match(c) {
					slab = append(slab, b.id)
					n := len(slab) - start
					if b.sel != nil && sels == nil {
						sels = make([]*selection, n-1, len(ch.pg))
					}
					if sels != nil {
						sels = append(sels, b.sel)
					}
				}
			}
			if len(slab) > start {
				ids := slab[start:len(slab):len(slab)]
				sc.targets = append(sc.targets, target{ch: ch, ids: ids, sels: sels, v: ch.viewer.Load()})
			}
		}
		if n := len(sc.targets); n > tstart {
			work = append(work, pending{c: c, targets: sc.targets[tstart:n:n], visible: sc.bools(n - tstart)})
		}
	}
	sc.work, sc.ids = work, slab
	// The channels were dispatched the changes up to the last (those that
	// did not match are not owed them either).
	now, last := time.Now(), changes[len(changes)-1].seq
	mark := func(topic string) {
		p.delivered[topic] = heldMark{seq: max(last, p.delivered[topic].seq), when: now}
	}
	if only != nil {
		mark(only.topic)
	} else {
		for ch := range p.channels {
			if len(ch.pg) > 0 {
				mark(ch.topic)
			}
		}
	}
	p.mu.RUnlock()
	if len(work) == 0 {
		return
	}
	p.authorize(ctx, work)
	for _, w := range work {
		w.send()
	}
}

// dispatchScratch is the memory of dispatch, reused from one batch to the
// next by the changes goroutine: the per-change, per-target slices are
// carved from it rather than allocated. Slices carved before a growth keep
// the old array, which stays valid: nothing carved is written again.
type dispatchScratch struct {
	work    []pending
	targets []target
	ids     []uint32
	flags   []bool
	groups  []int32
}

// maxScratch bounds the targets whose memory is kept between batches.
const maxScratch = 1 << 16

func (sc *dispatchScratch) bools(n int) []bool {
	start := len(sc.flags)
	sc.flags = append(sc.flags, make([]bool, n)...)
	return sc.flags[start : start+n : start+n]
}

func (sc *dispatchScratch) int32s(n int) []int32 {
	start := len(sc.groups)
	sc.groups = append(sc.groups, make([]int32, n)...)
	return sc.groups[start : start+n : start+n]
}

// reset empties the scratch, letting go of what it points to (channels,
// changes) and of memory past maxScratch.
func (sc *dispatchScratch) reset() {
	clear(sc.work)
	clear(sc.targets)
	if cap(sc.targets) > maxScratch {
		*sc = dispatchScratch{}
		return
	}
	sc.work, sc.targets, sc.ids, sc.flags, sc.groups = sc.work[:0], sc.targets[:0], sc.ids[:0], sc.flags[:0], sc.groups[:0]
}

// send queues the change's frames to the targets that may see it. Sockets on
// one topic with the same bindings get the same bytes: each distinct frame
// is encoded once. Bindings of a channel with different selects get one
// message each, as in Supabase Realtime.
func (w *pending) send() {
	type frameKey struct {
		topic string
		ids   string
		sel   string
		v2    bool
	}
	var (
		frames map[frameKey]frame
		datas  map[string]json.RawMessage // by selection
		idBuf  []byte
		// The last frame, for the common run of sockets on one topic with
		// the same bindings: no key to build and look up.
		lastCh  *channel
		lastIDs []uint32
		lastF   frame
	)
	frameFor := func(ch *channel, ids []uint32, sel *selection) frame {
		if sel == nil && lastCh != nil && ch.topic == lastCh.topic && ch.sock.v2 == lastCh.sock.v2 && slices.Equal(ids, lastIDs) {
			return lastF
		}
		idBuf = idBuf[:0]
		for j, id := range ids {
			if j > 0 {
				idBuf = append(idBuf, ',')
			}
			idBuf = strconv.AppendUint(idBuf, uint64(id), 10)
		}
		k := frameKey{ch.topic, string(idBuf), sel.groupKey(), ch.sock.v2}
		if f, ok := frames[k]; ok {
			return f
		}
		data := w.c.Data
		if sel != nil {
			var ok bool
			if data, ok = datas[sel.key]; !ok {
				data = w.c.encodeData(sel)
				if datas == nil {
					datas = map[string]json.RawMessage{}
				}
				datas[sel.key] = data
			}
		}
		payload := make([]byte, 0, len(data)+len(idBuf)+20)
		payload = append(payload, `{"ids":[`...)
		payload = append(payload, idBuf...)
		payload = append(payload, `],"data":`...)
		payload = append(payload, data...)
		payload = append(payload, '}')
		f := encodePush(k.v2, ch.topic, evPGChanges, payload)
		if frames == nil {
			frames = map[frameKey]frame{}
		}
		frames[k] = f
		if sel == nil {
			lastCh, lastIDs, lastF = ch, ids, f
		}
		return f
	}
	for i, t := range w.targets {
		if !w.visible[i] {
			continue
		}
		if t.sels == nil {
			t.ch.sock.send(frameFor(t.ch, t.ids, nil))
			continue
		}
		// One message per distinct select, with the ids of its bindings.
		for j := range t.ids {
			if slices.ContainsFunc(t.sels[:j], func(s *selection) bool { return s.groupKey() == t.sels[j].groupKey() }) {
				continue // sent with an earlier binding of the same select
			}
			var ids []uint32
			for k := j; k < len(t.ids); k++ {
				if t.sels[k].groupKey() == t.sels[j].groupKey() {
					ids = append(ids, t.ids[k])
				}
			}
			t.ch.sock.send(frameFor(t.ch, ids, t.sels[j]))
		}
	}
}

// runBroadcasts delivers broadcasts and presence diffs to the channels of
// their topic.
func (p *project) runBroadcasts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-p.broadcasts.C():
			if !ok {
				return
			}
			switch m := ev.Data.(type) {
			case *Broadcast:
				p.deliverBroadcast(m)
			case *presenceDiff:
				p.deliverPresence(m)
			}
		}
	}
}

func (p *project) deliverBroadcast(b *Broadcast) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for ch := range p.channels {
		if ch.sub != b.Topic || ch.private != b.Private || (ch == b.from && !ch.self) {
			continue
		}
		if _, done := ch.replayed[b.id]; done && b.id != "" { // sent by the join's replay
			continue
		}
		if v := ch.viewer.Load(); v == nil || !v.hears {
			continue
		}
		ch.sock.send(broadcastFrame(ch, b))
	}
}

// broadcastFrame encodes b for ch's socket: a binary frame for 2.0.0, JSON
// for 1.0.0 (binary payloads then travel base64-encoded).
func broadcastFrame(ch *channel, b *Broadcast) frame {
	if ch.sock.v2 {
		enc := byte(encodingJSON)
		if b.Binary {
			enc = encodingBinary
		}
		if f, ok := encodeUserBroadcast(ch.topic, b.Event, b.Meta, enc, b.Payload); ok {
			return f
		}
	}
	payload := json.RawMessage(b.Payload)
	if b.Binary {
		payload = mustJSON(base64.StdEncoding.EncodeToString(b.Payload))
	}
	msg := map[string]any{"type": evBroadcast, "event": b.Event, "payload": payload}
	if len(b.Meta) > 0 {
		msg["meta"] = b.Meta
	}
	return encodeText(ch.sock.v2, nil, nil, ch.topic, evBroadcast, mustJSON(msg))
}

func (p *project) deliverPresence(d *presenceDiff) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for ch := range p.channels {
		if v := ch.viewer.Load(); ch.sub == d.topic.sub && ch.private == d.topic.private && v != nil && v.senses {
			ch.sock.send(encodeText(ch.sock.v2, nil, nil, ch.topic, evPresDiff, d.diff))
		}
	}
}

// track sets ch's presence meta and publishes the diff.
func (p *project) track(ctx context.Context, ch *channel, meta json.RawMessage) error {
	pt := presenceTopic{ch.sub, ch.private}
	ref := newPhxRef()
	m := map[string]any{}
	if err := json.Unmarshal(meta, &m); err != nil || m == nil {
		m = map[string]any{}
	}
	m["phx_ref"] = ref
	p.mu.Lock()
	keys := p.presence[pt]
	if keys == nil {
		keys = map[string][]presenceMeta{}
		p.presence[pt] = keys
	}
	var leaves []presenceMeta
	metas := keys[ch.presenceKey][:0:0]
	for _, pm := range keys[ch.presenceKey] {
		if pm.ch == ch {
			leaves = append(leaves, pm)
			continue
		}
		metas = append(metas, pm)
	}
	joined := presenceMeta{ref: ref, meta: mustJSON(m), ch: ch}
	keys[ch.presenceKey] = append(metas, joined)
	p.mu.Unlock()
	diff := map[string]any{
		"joins":  map[string]any{ch.presenceKey: map[string]any{"metas": []json.RawMessage{joined.meta}}},
		"leaves": metasJSON(ch.presenceKey, leaves),
	}
	return p.s.bus.Publish(ctx, "realtime."+p.ref+".fanout."+busToken(ch.sub), &presenceDiff{topic: pt, diff: mustJSON(diff)})
}

// untrack removes ch's presence, if any, and publishes the diff.
func (p *project) untrack(ctx context.Context, ch *channel) error {
	pt := presenceTopic{ch.sub, ch.private}
	p.mu.Lock()
	keys := p.presence[pt]
	var leaves []presenceMeta
	if keys != nil {
		var metas []presenceMeta
		for _, pm := range keys[ch.presenceKey] {
			if pm.ch == ch {
				leaves = append(leaves, pm)
			} else {
				metas = append(metas, pm)
			}
		}
		if len(metas) == 0 {
			delete(keys, ch.presenceKey)
		} else {
			keys[ch.presenceKey] = metas
		}
		if len(keys) == 0 {
			delete(p.presence, pt)
		}
	}
	p.mu.Unlock()
	if len(leaves) == 0 {
		return nil
	}
	diff := map[string]any{"joins": map[string]any{}, "leaves": metasJSON(ch.presenceKey, leaves)}
	return p.s.bus.Publish(ctx, "realtime."+p.ref+".fanout."+busToken(ch.sub), &presenceDiff{topic: pt, diff: mustJSON(diff)})
}

func metasJSON(key string, ms []presenceMeta) map[string]any {
	if len(ms) == 0 {
		return map[string]any{}
	}
	raw := make([]json.RawMessage, len(ms))
	for i, m := range ms {
		raw[i] = m.meta
	}
	return map[string]any{key: map[string]any{"metas": raw}}
}

// presenceState is the presence_state payload of ch's topic. The caller
// holds p.mu.
func (p *project) presenceState(ch *channel) json.RawMessage {
	state := map[string]any{}
	for key, ms := range p.presence[presenceTopic{ch.sub, ch.private}] {
		state[key] = metasJSON(key, ms)[key]
	}
	return mustJSON(state)
}

// joinReq asks the changes goroutine to register a channel.
type joinReq struct {
	ch     *channel
	joined func()
	done   chan struct{}
}

// add registers a joined channel. The changes goroutine does it, between
// two changes, and sends the channel its held changes at once, so that none
// is missed or sent twice. joined runs under the lock that fan-out takes, so
// that what it queues (the join reply) comes before anything sent to the
// channel.
func (p *project) add(ch *channel, joined func()) {
	req := joinReq{ch: ch, joined: joined, done: make(chan struct{})}
	select {
	case p.joins <- req:
	case <-p.ctx.Done():
		if ch.acquired {
			p.release() // never registered: remove will not release it
		}
		return
	}
	select {
	case <-req.done:
	case <-p.ctx.Done():
	}
}

func (p *project) register(ctx context.Context, req joinReq) {
	p.mu.Lock()
	p.channels[req.ch] = struct{}{}
	req.joined()
	p.mu.Unlock()
	close(req.done)
	if len(req.ch.pg) > 0 {
		p.replay(ctx, req.ch)
	}
}

func (p *project) remove(ctx context.Context, ch *channel) {
	p.mu.Lock()
	_, joined := p.channels[ch]
	delete(p.channels, ch)
	ch.stopReady()
	p.mu.Unlock()
	if joined && ch.acquired {
		p.release()
	}
	if err := p.untrack(ctx, ch); err != nil && !errors.Is(err, kernel.ErrBusClosed) {
		p.s.log.Debug("publishing a presence leave", "ref", p.ref, "err", err)
	}
}
