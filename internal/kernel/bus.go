package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bus errors. They live here rather than in errors.go because the bus is
// self-contained and may move to a package of its own.
var (
	// ErrBusClosed is wrapped by [Bus.Publish] and [Bus.Subscribe] once
	// [Bus.Close] has been called.
	ErrBusClosed = errors.New("bus closed")
	// ErrInvalidTopic is wrapped by [Bus.Publish] for a malformed topic and by
	// [Bus.Subscribe] for a malformed pattern.
	ErrInvalidTopic = errors.New("invalid topic")
)

// DefaultQueueSize is the number of events a subscription queues when no
// [QueueSize] option is given.
const DefaultQueueSize = 1024

// busCacheMax bounds the topic → subscribers cache of a [Bus]. When it is full,
// a quarter of the entries are dropped; a miss costs one trie walk.
const busCacheMax = 4096

// Event is one message on the [Bus].
type Event struct {
	// Topic is the concrete topic the event was published to, never a pattern.
	Topic string
	// Data is the payload. Every matching subscriber receives the same value,
	// not a copy: subscribers must treat it as read-only.
	Data any
	// Time is when the event was published.
	Time time.Time
}

// Bus is an in-process publish/subscribe event bus. The zero value is not
// usable; create one with [NewBus]. All methods are safe for concurrent use.
//
// # Topics and patterns
//
// Topics and patterns follow NATS subject syntax, so that a cluster can carry
// the same topics over NATS unchanged: dot-separated, non-empty tokens
// without whitespace (space, \t, \n, \r, \f), e.g. "db.public.todos.insert".
// In a pattern, a token "*" matches exactly one token and a final token ">"
// matches one or more tokens: "db.*.todos.>" matches "db.public.todos.insert"
// but not "db.public.todos". "*" and ">" are wildcards only as whole tokens
// ("a*" is an ordinary token), and a topic given to Publish must not contain
// wildcard tokens.
//
// # Delivery
//
// Delivery is at most once. Each [Subscription] has a bounded queue
// (see [QueueSize]); Publish puts the event into the queue of every matching
// subscription and returns: it never waits for a consumer to process an event.
// Events published by one goroutine reach each subscription in the order they
// were published, minus any that were dropped.
//
// When a queue is full, the subscription's slow-subscriber policy decides:
//   - [DropOldest] (the default): the oldest queued event is discarded to make
//     room. The subscriber sees the most recent events.
//   - [DropNewest]: the new event is discarded. The subscriber sees the oldest.
//   - [Block]: Publish waits up to the given timeout for room, then discards the
//     new event.
//
// Every discarded event is counted in [Subscription.Dropped]. The publisher is
// never blocked forever: only a Block subscription makes it wait, at most its
// timeout for each full Block subscription, and never past the end of the
// context given to Publish.
//
// Matching is done with a token trie and a cache of topic → subscriptions that
// subscribing and unsubscribing reset, so a publish to a topic seen recently
// costs one map lookup however many subscriptions there are.
type Bus struct {
	log      *slog.Logger
	defaults []SubOption

	mu     sync.RWMutex
	closed bool
	root   busNode
	subs   map[*Subscription]struct{}
	cache  map[string][]*Subscription // read-only slices; reset when the trie changes
	gen    uint64                     // incremented on every change of the trie
}

// BusOption configures a [Bus] created by [NewBus].
type BusOption func(*Bus)

// BusLogger sets the logger the bus reports slow subscribers to.
// Default: slog.Default().
func BusLogger(l *slog.Logger) BusOption {
	return func(b *Bus) { b.log = l }
}

// BusDefaults sets options applied to every subscription before the options
// given to [Bus.Subscribe], e.g. BusDefaults(QueueSize(64), DropNewest()).
func BusDefaults(opts ...SubOption) BusOption {
	return func(b *Bus) { b.defaults = append(b.defaults, opts...) }
}

// NewBus returns an empty, open bus. It starts no goroutines.
func NewBus(opts ...BusOption) *Bus {
	b := &Bus{
		subs:  make(map[*Subscription]struct{}),
		cache: make(map[string][]*Subscription),
	}
	for _, o := range opts {
		o(b)
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	return b
}

// Publish sends an event with data to every subscription whose pattern matches
// topic. It returns once the event is queued or dropped for each of them (see
// [Bus] for the slow-subscriber policies); having no subscribers is not an
// error.
//
// If ctx is already done, Publish delivers nothing and returns ctx's error. If
// ctx ends while Publish waits for a [Block] subscription, that subscription's
// copy is dropped, the remaining subscriptions are offered the event without
// waiting, and Publish returns ctx's error.
func (b *Bus) Publish(ctx context.Context, topic string, data any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publishing to %q: %w", topic, err)
	}
	subs, err := b.match(topic)
	if err != nil {
		return fmt.Errorf("publishing to %q: %w", topic, err)
	}
	if len(subs) == 0 {
		return nil
	}
	ev := Event{Topic: topic, Data: data, Time: time.Now()}
	var ctxErr error
	for _, s := range subs {
		if err := s.deliver(ctx, ev); err != nil {
			ctxErr = err
		}
	}
	if ctxErr != nil {
		return fmt.Errorf("publishing to %q: %w", topic, ctxErr)
	}
	return nil
}

// match returns the subscriptions whose pattern matches topic. The slice is
// shared and must not be modified.
func (b *Bus) match(topic string) ([]*Subscription, error) {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return nil, ErrBusClosed
	}
	// Only valid topics enter the cache, so a hit needs no validation.
	if subs, ok := b.cache[topic]; ok {
		b.mu.RUnlock()
		return subs, nil
	}
	b.mu.RUnlock()

	if err := checkSubject(topic, true); err != nil {
		return nil, err
	}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return nil, ErrBusClosed
	}
	subs := b.root.match(topic, nil)
	gen := b.gen
	b.mu.RUnlock()

	b.mu.Lock()
	// A subscription added or removed since the walk makes subs stale: it is
	// still right for this publish, which raced with that change, but must
	// not be cached.
	if b.gen == gen && !b.closed {
		if len(b.cache) >= busCacheMax {
			n := 0
			for k := range b.cache { // map order is random enough
				delete(b.cache, k)
				if n++; n >= busCacheMax/4 {
					break
				}
			}
		}
		b.cache[topic] = subs
	}
	b.mu.Unlock()
	return subs, nil
}

// Subscribe registers interest in the topics matching pattern (see [Bus] for
// the syntax). Events are read from [Subscription.C]; the subscription stays
// until [Subscription.Unsubscribe] or [Bus.Close].
func (b *Bus) Subscribe(pattern string, opts ...SubOption) (*Subscription, error) {
	if err := checkSubject(pattern, false); err != nil {
		return nil, fmt.Errorf("subscribing to %q: %w", pattern, err)
	}
	cfg := subConfig{queueSize: DefaultQueueSize, policy: policyDropOldest}
	for _, o := range b.defaults {
		o(&cfg)
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.queueSize < 1 {
		return nil, fmt.Errorf("subscribing to %q: queue size %d is not positive", pattern, cfg.queueSize)
	}
	if cfg.policy == policyBlock && cfg.timeout <= 0 {
		return nil, fmt.Errorf("subscribing to %q: block timeout %v is not positive", pattern, cfg.timeout)
	}
	s := &Subscription{
		bus:     b,
		pattern: pattern,
		policy:  cfg.policy,
		timeout: cfg.timeout,
		ch:      make(chan Event, cfg.queueSize),
		done:    make(chan struct{}),
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("subscribing to %q: %w", pattern, ErrBusClosed)
	}
	b.root.insert(pattern, s)
	b.subs[s] = struct{}{}
	b.changedLocked()
	return s, nil
}

// remove takes s out of the trie; it is a no-op once the bus is closed.
func (b *Bus) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	b.root.remove(s.pattern, s)
	b.changedLocked()
}

// changedLocked invalidates the match cache after a change of the trie.
func (b *Bus) changedLocked() {
	b.gen++
	clear(b.cache)
}

// Close unsubscribes every subscription, closing their channels, and makes
// later calls of Publish and Subscribe fail with [ErrBusClosed]. A Publish
// running concurrently may still deliver to subscriptions that Close has not
// reached yet. Close is idempotent.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	subs := b.subs
	b.subs = nil
	b.root = busNode{}
	b.cache = nil
	b.gen++
	b.mu.Unlock()

	for s := range subs {
		s.once.Do(s.close)
	}
}

// slowPolicy is what a subscription does with an event that finds its queue full.
type slowPolicy uint8

const (
	policyDropOldest slowPolicy = iota
	policyDropNewest
	policyBlock
)

func (p slowPolicy) String() string {
	switch p {
	case policyDropOldest:
		return "drop_oldest"
	case policyDropNewest:
		return "drop_newest"
	case policyBlock:
		return "block"
	}
	return fmt.Sprintf("slowPolicy(%d)", uint8(p))
}

type subConfig struct {
	queueSize int
	policy    slowPolicy
	timeout   time.Duration
}

// SubOption configures a [Subscription] created by [Bus.Subscribe].
type SubOption func(*subConfig)

// QueueSize sets how many events a subscription queues before its
// slow-subscriber policy applies. It must be positive. Default [DefaultQueueSize].
func QueueSize(n int) SubOption {
	return func(c *subConfig) { c.queueSize = n }
}

// DropOldest makes a full queue discard its oldest event to make room for a new
// one, counting it in [Subscription.Dropped]. It is the default policy; the
// publisher never waits.
func DropOldest() SubOption {
	return func(c *subConfig) { c.policy, c.timeout = policyDropOldest, 0 }
}

// DropNewest makes a full queue discard the new event, counting it in
// [Subscription.Dropped]. The publisher never waits.
func DropNewest() SubOption {
	return func(c *subConfig) { c.policy, c.timeout = policyDropNewest, 0 }
}

// Block makes Publish wait up to timeout for room in a full queue; if none
// frees up in time, or the publisher's context ends first, the new event is
// discarded and counted in [Subscription.Dropped]. timeout must be positive.
// Use it for consumers that must not lose events under short bursts; a
// consumer must not publish with Block to its own subscription from the
// goroutine that drains it, or each such publish waits out the timeout.
func Block(timeout time.Duration) SubOption {
	return func(c *subConfig) { c.policy, c.timeout = policyBlock, timeout }
}

// Subscription is one registration on a [Bus]. Its methods are safe for
// concurrent use.
type Subscription struct {
	bus     *Bus
	pattern string
	policy  slowPolicy
	timeout time.Duration
	dropped atomic.Uint64
	once    sync.Once // runs close

	// done is closed first when the subscription ends, to wake publishers
	// waiting under the Block policy, so that close can take mu promptly.
	done chan struct{}
	// mu is held shared while an event is put into ch and exclusively while
	// ch is closed, so that no send can hit a closed channel.
	mu     sync.RWMutex
	closed bool // guarded by mu
	ch     chan Event
}

// C returns the channel the subscription's events arrive on. It is closed by
// [Subscription.Unsubscribe] and [Bus.Close]; events queued before that are
// still received, so `for ev := range sub.C()` drains the queue and ends.
func (s *Subscription) C() <-chan Event { return s.ch }

// Pattern returns the pattern given to [Bus.Subscribe].
func (s *Subscription) Pattern() string { return s.pattern }

// Dropped returns how many events this subscription has discarded because its
// queue was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Unsubscribe removes the subscription from the bus and closes its channel.
// Publishers waiting on it under the [Block] policy return at once. It is
// idempotent, and may be called after [Bus.Close].
func (s *Subscription) Unsubscribe() {
	s.once.Do(func() {
		s.bus.remove(s)
		s.close()
	})
}

func (s *Subscription) close() {
	close(s.done)
	s.mu.Lock()
	s.closed = true
	close(s.ch)
	s.mu.Unlock()
}

// deliver queues ev according to the subscription's policy. It returns ctx's
// error if ctx ended before ev could be queued under the Block policy.
func (s *Subscription) deliver(ctx context.Context, ev Event) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil
	}
	select {
	case s.ch <- ev:
		return nil
	default:
	}
	switch s.policy {
	case policyDropNewest:
		s.drop()
	case policyDropOldest:
		// Each turn either queues ev or discards one older event, so the loop
		// ends even when a consumer and other publishers race with it.
		for {
			select {
			case <-s.ch:
				s.drop()
			default:
			}
			select {
			case s.ch <- ev:
				return nil
			default:
			}
		}
	case policyBlock:
		if err := ctx.Err(); err != nil {
			s.drop()
			return err
		}
		t := time.NewTimer(s.timeout)
		defer t.Stop()
		select {
		case s.ch <- ev:
		case <-t.C:
			s.drop()
		case <-ctx.Done():
			s.drop()
			return ctx.Err()
		case <-s.done:
		}
	}
	return nil
}

// drop counts a discarded event and logs the 1st, 2nd, 4th, 8th … one, which
// keeps a persistently slow subscriber visible without flooding the log.
func (s *Subscription) drop() {
	n := s.dropped.Add(1)
	if n&(n-1) == 0 {
		s.bus.log.Warn("bus subscriber too slow, event dropped",
			"pattern", s.pattern, "policy", s.policy.String(),
			"queue_size", cap(s.ch), "dropped", n)
	}
}

// busNode is a node of the subscription trie; a pattern's tokens are the path
// from the root to the node that lists its subscriptions.
type busNode struct {
	next map[string]*busNode // literal tokens
	star *busNode            // "*"
	rest *busNode            // ">", always a leaf
	subs []*Subscription     // subscriptions whose pattern ends here
}

// get returns the child for tok, or nil.
func (n *busNode) get(tok string) *busNode {
	switch tok {
	case "*":
		return n.star
	case ">":
		return n.rest
	}
	return n.next[tok]
}

// getOrAdd returns the child for tok, adding it if needed.
func (n *busNode) getOrAdd(tok string) *busNode {
	if c := n.get(tok); c != nil {
		return c
	}
	c := &busNode{}
	switch tok {
	case "*":
		n.star = c
	case ">":
		n.rest = c
	default:
		if n.next == nil {
			n.next = make(map[string]*busNode)
		}
		n.next[tok] = c
	}
	return c
}

func (n *busNode) insert(pattern string, s *Subscription) {
	for {
		tok, rest, more := strings.Cut(pattern, ".")
		n = n.getOrAdd(tok)
		if !more {
			n.subs = append(n.subs, s)
			return
		}
		pattern = rest
	}
}

// remove deletes s from the node of pattern and prunes the nodes left empty.
func (n *busNode) remove(pattern string, s *Subscription) {
	tok, rest, more := strings.Cut(pattern, ".")
	c := n.get(tok)
	if c == nil {
		return
	}
	if more {
		c.remove(rest, s)
	} else {
		for i, x := range c.subs {
			if x == s {
				c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
				break
			}
		}
	}
	if c.empty() {
		switch tok {
		case "*":
			n.star = nil
		case ">":
			n.rest = nil
		default:
			delete(n.next, tok)
		}
	}
}

func (n *busNode) empty() bool {
	return len(n.subs) == 0 && len(n.next) == 0 && n.star == nil && n.rest == nil
}

// match appends to out the subscriptions whose pattern matches topic, a valid
// non-empty topic. Each subscription sits at one node and a topic reaches a
// node by at most one path, so none is appended twice.
func (n *busNode) match(topic string, out []*Subscription) []*Subscription {
	tok, rest, more := strings.Cut(topic, ".")
	if n.rest != nil {
		out = append(out, n.rest.subs...)
	}
	if c := n.next[tok]; c != nil {
		if more {
			out = c.match(rest, out)
		} else {
			out = append(out, c.subs...)
		}
	}
	if c := n.star; c != nil {
		if more {
			out = c.match(rest, out)
		} else {
			out = append(out, c.subs...)
		}
	}
	return out
}

// checkSubject reports whether s is a valid topic (literal) or pattern,
// following NATS subject rules.
func checkSubject(s string, literal bool) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidTopic)
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			switch s[i] {
			case ' ', '\t', '\n', '\r', '\f':
				return fmt.Errorf("%w: whitespace at byte %d", ErrInvalidTopic, i)
			}
			continue
		}
		switch tok := s[start:i]; tok {
		case "":
			return fmt.Errorf("%w: empty token at byte %d", ErrInvalidTopic, start)
		case "*", ">":
			if literal {
				return fmt.Errorf("%w: wildcard %q in a topic", ErrInvalidTopic, tok)
			}
			if tok == ">" && i != len(s) {
				return fmt.Errorf("%w: \">\" is not the last token", ErrInvalidTopic)
			}
		}
		start = i + 1
	}
	return nil
}
