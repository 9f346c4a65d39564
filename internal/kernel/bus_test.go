package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newTestBus returns a bus that logs nowhere, closed when the test ends.
func newTestBus(t testing.TB, opts ...BusOption) *Bus {
	t.Helper()
	opts = append([]BusOption{BusLogger(slog.New(slog.DiscardHandler))}, opts...)
	b := NewBus(opts...)
	t.Cleanup(b.Close)
	return b
}

func mustSubscribe(t testing.TB, b *Bus, pattern string, opts ...SubOption) *Subscription {
	t.Helper()
	s, err := b.Subscribe(pattern, opts...)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", pattern, err)
	}
	return s
}

func mustPublish(t testing.TB, b *Bus, topic string, data any) {
	t.Helper()
	if err := b.Publish(t.Context(), topic, data); err != nil {
		t.Fatalf("Publish(%q): %v", topic, err)
	}
}

// queued returns the data of the events queued on s, without waiting.
func queued(s *Subscription) []any {
	var out []any
	for {
		select {
		case ev, ok := <-s.C():
			if !ok {
				return out
			}
			out = append(out, ev.Data)
		default:
			return out
		}
	}
}

func TestBusDelivers(t *testing.T) {
	t.Parallel()
	b := newTestBus(t)
	s := mustSubscribe(t, b, "db.public.todos.insert")
	before := time.Now()
	mustPublish(t, b, "db.public.todos.insert", map[string]any{"id": 1})

	select {
	case ev := <-s.C():
		if ev.Topic != "db.public.todos.insert" {
			t.Errorf("Topic = %q", ev.Topic)
		}
		if diff := cmp.Diff(map[string]any{"id": 1}, ev.Data); diff != "" {
			t.Errorf("Data (-want +got):\n%s", diff)
		}
		if ev.Time.Before(before) {
			t.Errorf("Time = %v, before Publish was called (%v)", ev.Time, before)
		}
	default:
		t.Fatal("no event queued after Publish returned")
	}
	if got := s.Pattern(); got != "db.public.todos.insert" {
		t.Errorf("Pattern() = %q", got)
	}
}

func TestBusMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, topic string
		want           bool
	}{
		{"a", "a", true},
		{"a", "b", false},
		{"a.b.c", "a.b.c", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.b.c", false},
		{"a.b.c", "a.b.d", false},
		{"*", "a", true},
		{"*", "a.b", false},
		{"a.*", "a.b", true},
		{"a.*", "a", false},
		{"a.*", "a.b.c", false},
		{"*.b", "a.b", true},
		{"*.b", "a.c", false},
		{"a.*.c", "a.x.c", true},
		{"a.*.c", "a.x.d", false},
		{"*.*.*", "a.b.c", true},
		{"*.*.*", "a.b", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c.d", true},
		{"a.>", "a", false},
		{"a.>", "b.c", false},
		{"a.*.>", "a.b.c", true},
		{"a.*.>", "a.b", false},
		{"*.>", "a.b", true},
		{"db.*.todos.>", "db.public.todos.insert", true},
		{"db.*.todos.>", "db.public.todos", false},
		{"db.*.todos.>", "db.public.users.insert", false},
		// Wildcards are wildcards only as whole tokens, as in NATS.
		{"a*", "a*", true},
		{"a*", "ab", false},
		{"a.b>", "a.b>", true},
		{"a.b>", "a.bc", false},
		// Tokens are compared exactly.
		{"A", "a", false},
		{"ü.x", "ü.x", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.topic, func(t *testing.T) {
			t.Parallel()
			b := newTestBus(t)
			s := mustSubscribe(t, b, tt.pattern)
			mustPublish(t, b, tt.topic, nil)
			if got := len(s.C()) == 1; got != tt.want {
				t.Errorf("pattern %q got topic %q: %v, want %v", tt.pattern, tt.topic, got, tt.want)
			}
			if got := refMatch(tt.pattern, tt.topic); got != tt.want {
				t.Errorf("refMatch(%q, %q) = %v, want %v", tt.pattern, tt.topic, got, tt.want)
			}
		})
	}
}

func TestBusInvalidTopics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		subject      string
		validPattern bool
		validTopic   bool
	}{
		{"", false, false},
		{".", false, false},
		{"a.", false, false},
		{".a", false, false},
		{"a..b", false, false},
		{"a b", false, false},
		{"a.\tb", false, false},
		{"a\n", false, false},
		{"\r", false, false},
		{"a.\f", false, false},
		{"*", true, false},
		{">", true, false},
		{"a.*", true, false},
		{"a.>", true, false},
		{"a.>.b", false, false},
		{">.a", false, false},
		{"a.>.>", false, false},
		{"a", true, true},
		{"a.b-c_d.9", true, true},
		{"a*.b>", true, true},
		{"ü", true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.subject), func(t *testing.T) {
			t.Parallel()
			b := newTestBus(t)
			_, err := b.Subscribe(tt.subject)
			if tt.validPattern && err != nil {
				t.Errorf("Subscribe: %v", err)
			}
			if !tt.validPattern && !errors.Is(err, ErrInvalidTopic) {
				t.Errorf("Subscribe error = %v, want %v", err, ErrInvalidTopic)
			}
			err = b.Publish(t.Context(), tt.subject, nil)
			if tt.validTopic && err != nil {
				t.Errorf("Publish: %v", err)
			}
			if !tt.validTopic && !errors.Is(err, ErrInvalidTopic) {
				t.Errorf("Publish error = %v, want %v", err, ErrInvalidTopic)
			}
		})
	}
}

func TestBusSubscribeOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []SubOption
	}{
		{"zero queue", []SubOption{QueueSize(0)}},
		{"negative queue", []SubOption{QueueSize(-1)}},
		{"zero block timeout", []SubOption{Block(0)}},
		{"negative block timeout", []SubOption{Block(-time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newTestBus(t)
			if _, err := b.Subscribe("a", tt.opts...); err == nil {
				t.Error("Subscribe succeeded, want an error")
			}
		})
	}
}

func TestBusUnsubscribe(t *testing.T) {
	t.Parallel()
	b := newTestBus(t)
	gone := mustSubscribe(t, b, "a.>")
	stays := mustSubscribe(t, b, "a.*")
	mustPublish(t, b, "a.b", 1)

	gone.Unsubscribe()
	gone.Unsubscribe() // idempotent
	mustPublish(t, b, "a.b", 2)

	// The event queued before Unsubscribe is still received, then C is closed.
	var got []any
	for ev := range gone.C() {
		got = append(got, ev.Data)
	}
	if diff := cmp.Diff([]any{1}, got); diff != "" {
		t.Errorf("unsubscribed events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{1, 2}, queued(stays)); diff != "" {
		t.Errorf("remaining subscriber's events (-want +got):\n%s", diff)
	}

	stays.Unsubscribe()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.root.empty() || len(b.subs) != 0 {
		t.Errorf("bus still holds subscriptions after every one unsubscribed: %d", len(b.subs))
	}
}

// TestBusSlowPolicies fills a queue of 3 with 5 events that nobody reads.
// It runs in a synctest bubble so that the Block policy's waits are measured
// exactly in virtual time.
func TestBusSlowPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        []SubOption
		wantQueued  []any
		wantDropped uint64
		wantWait    time.Duration
	}{
		{"default is drop oldest", nil, []any{3, 4, 5}, 2, 0},
		{"drop oldest", []SubOption{DropOldest()}, []any{3, 4, 5}, 2, 0},
		{"drop newest", []SubOption{DropNewest()}, []any{1, 2, 3}, 2, 0},
		{"block", []SubOption{Block(time.Second)}, []any{1, 2, 3}, 2, 2 * time.Second},
		{"last policy wins", []SubOption{Block(time.Second), DropNewest()}, []any{1, 2, 3}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var logs bytes.Buffer
				b := newTestBus(t, BusLogger(slog.New(slog.NewTextHandler(&logs, nil))))
				s := mustSubscribe(t, b, "slow", append(tt.opts, QueueSize(3))...)
				start := time.Now()
				for i := 1; i <= 5; i++ {
					mustPublish(t, b, "slow", i)
				}
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("publishing took %v, want %v", got, tt.wantWait)
				}
				if got := s.Dropped(); got != tt.wantDropped {
					t.Errorf("Dropped() = %d, want %d", got, tt.wantDropped)
				}
				if diff := cmp.Diff(tt.wantQueued, queued(s)); diff != "" {
					t.Errorf("queued events (-want +got):\n%s", diff)
				}
				// Drops 1 and 2 are both powers of two: both are logged.
				if got := strings.Count(logs.String(), "event dropped"); got != 2 {
					t.Errorf("logged %d drops, want 2:\n%s", got, logs.String())
				}
			})
		})
	}
}

func TestBusDropLogIsRateLimited(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := newTestBus(t, BusLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	s := mustSubscribe(t, b, "x", QueueSize(1), DropNewest())
	for i := range 101 {
		mustPublish(t, b, "x", i)
	}
	if got := s.Dropped(); got != 100 {
		t.Fatalf("Dropped() = %d, want 100", got)
	}
	// Drops 1, 2, 4, 8, 16, 32 and 64 are logged.
	if got := strings.Count(logs.String(), "event dropped"); got != 7 {
		t.Errorf("logged %d drops, want 7:\n%s", got, logs.String())
	}
}

func TestBusDefaults(t *testing.T) {
	t.Parallel()
	b := newTestBus(t, BusDefaults(QueueSize(2), DropNewest()))
	def := mustSubscribe(t, b, "x")
	own := mustSubscribe(t, b, "x", DropOldest())
	for i := 1; i <= 3; i++ {
		mustPublish(t, b, "x", i)
	}
	if diff := cmp.Diff([]any{1, 2}, queued(def)); diff != "" {
		t.Errorf("subscription with the bus defaults (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{2, 3}, queued(own)); diff != "" {
		t.Errorf("subscription overriding the policy (-want +got):\n%s", diff)
	}
}

func TestBusBlockWaitsForRoom(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := newTestBus(t)
		s := mustSubscribe(t, b, "x", QueueSize(1), Block(time.Second))
		mustPublish(t, b, "x", 1)

		var got []any
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(300 * time.Millisecond)
			for ev := range s.C() {
				got = append(got, ev.Data)
			}
		}()
		start := time.Now()
		mustPublish(t, b, "x", 2)
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("Publish waited %v, want 300ms", d)
		}
		s.Unsubscribe()
		<-done
		if diff := cmp.Diff([]any{1, 2}, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if n := s.Dropped(); n != 0 {
			t.Errorf("Dropped() = %d, want 0", n)
		}
	})
}

// TestBusEndWakesBlockedPublisher checks that a publisher waiting on a full
// Block subscription returns at once when the subscription or the bus ends.
func TestBusEndWakesBlockedPublisher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  func(*Bus, *Subscription)
	}{
		{"unsubscribe", func(_ *Bus, s *Subscription) { s.Unsubscribe() }},
		{"close", func(b *Bus, _ *Subscription) { b.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				b := newTestBus(t)
				s := mustSubscribe(t, b, "x", QueueSize(1), Block(time.Hour))
				mustPublish(t, b, "x", 1)

				start := time.Now()
				errc := make(chan error, 1)
				go func() { errc <- b.Publish(context.Background(), "x", 2) }()
				synctest.Wait() // the publisher is now blocked on the full queue
				tt.end(b, s)
				if err := <-errc; err != nil {
					t.Errorf("Publish: %v", err)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("Publish returned after %v, want at once", d)
				}
				if diff := cmp.Diff([]any{1}, queued(s)); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestBusPublishContext(t *testing.T) {
	t.Parallel()
	t.Run("done before publish", func(t *testing.T) {
		t.Parallel()
		b := newTestBus(t)
		s := mustSubscribe(t, b, "x")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.Publish(ctx, "x", 1); !errors.Is(err, context.Canceled) {
			t.Errorf("Publish error = %v, want %v", err, context.Canceled)
		}
		if n := len(s.C()); n != 0 {
			t.Errorf("%d events delivered with a canceled context", n)
		}
	})
	t.Run("ends while blocked", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := newTestBus(t)
			// Trie order: "ctx.>" is offered the event first, then "ctx.x", then "ctx.*".
			blockA := mustSubscribe(t, b, "ctx.>", QueueSize(1), Block(time.Hour))
			free := mustSubscribe(t, b, "ctx.x", QueueSize(1), DropNewest())
			blockB := mustSubscribe(t, b, "ctx.*", QueueSize(1), Block(time.Hour))
			mustPublish(t, b, "ctx.y", 1) // fills blockA and blockB

			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := b.Publish(ctx, "ctx.x", 2)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Publish error = %v, want %v", err, context.DeadlineExceeded)
			}
			if d := time.Since(start); d != 100*time.Millisecond {
				t.Errorf("Publish returned after %v, want 100ms: it must wait no more once ctx is done", d)
			}
			for _, s := range []*Subscription{blockA, blockB} {
				if n := s.Dropped(); n != 1 {
					t.Errorf("%q: Dropped() = %d, want 1", s.Pattern(), n)
				}
			}
			if diff := cmp.Diff([]any{2}, queued(free)); diff != "" {
				t.Errorf("subscriber reached after ctx ended (-want +got):\n%s", diff)
			}
		})
	})
}

func TestBusClose(t *testing.T) {
	t.Parallel()
	b := newTestBus(t)
	s1 := mustSubscribe(t, b, "a.>")
	s2 := mustSubscribe(t, b, "a.b")
	mustPublish(t, b, "a.b", 1)

	b.Close()
	for _, s := range []*Subscription{s1, s2} {
		var got []any
		for ev := range s.C() { // ends: Close closed the channel
			got = append(got, ev.Data)
		}
		if diff := cmp.Diff([]any{1}, got); diff != "" {
			t.Errorf("%q: events (-want +got):\n%s", s.Pattern(), diff)
		}
	}
	if err := b.Publish(t.Context(), "a.b", 2); !errors.Is(err, ErrBusClosed) {
		t.Errorf("Publish after Close: %v, want %v", err, ErrBusClosed)
	}
	if _, err := b.Subscribe("a.b"); !errors.Is(err, ErrBusClosed) {
		t.Errorf("Subscribe after Close: %v, want %v", err, ErrBusClosed)
	}
	b.Close()
	s1.Unsubscribe()
}

func TestBusMatchCache(t *testing.T) {
	t.Parallel()
	b := newTestBus(t)
	early := mustSubscribe(t, b, "t.>")
	mustPublish(t, b, "t.x", 1) // caches t.x → [early]

	late := mustSubscribe(t, b, "t.x")
	mustPublish(t, b, "t.x", 2)
	early.Unsubscribe()
	mustPublish(t, b, "t.x", 3)

	if diff := cmp.Diff([]any{1, 2}, queued(early)); diff != "" {
		t.Errorf("early subscriber (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{2, 3}, queued(late)); diff != "" {
		t.Errorf("late subscriber (-want +got):\n%s", diff)
	}

	for i := range 3 * busCacheMax {
		mustPublish(t, b, fmt.Sprintf("t.y.%d", i), nil)
	}
	b.mu.RLock()
	n := len(b.cache)
	b.mu.RUnlock()
	if n > busCacheMax {
		t.Errorf("cache holds %d topics, more than its bound %d", n, busCacheMax)
	}
}

// TestBusConcurrent publishes from many goroutines while subscriptions come
// and go; run it with -race. Block subscriptions with a generous timeout and
// consumers that keep reading must get every event, in each publisher's order.
func TestBusConcurrent(t *testing.T) {
	t.Parallel()
	const (
		publishers = 8
		perPub     = 500
	)
	b := newTestBus(t)

	type result struct {
		pattern string
		byPub   map[string][]int
	}
	patterns := []string{"load.>", "load.*.x", "load.p0.x", "other.>"}
	results := make([]result, len(patterns))
	subs := make([]*Subscription, len(patterns))
	var consumers sync.WaitGroup
	for i, p := range patterns {
		subs[i] = mustSubscribe(t, b, p, QueueSize(16), Block(time.Minute))
		results[i] = result{pattern: p, byPub: map[string][]int{}}
		consumers.Go(func() {
			for ev := range subs[i].C() {
				results[i].byPub[ev.Topic] = append(results[i].byPub[ev.Topic], ev.Data.(int))
			}
		})
	}

	stop := make(chan struct{})
	var churn sync.WaitGroup
	for range 2 {
		churn.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := b.Subscribe("load.*.>", QueueSize(1))
				if err != nil {
					t.Errorf("Subscribe: %v", err)
					return
				}
				s.Unsubscribe()
			}
		})
	}

	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			topic := fmt.Sprintf("load.p%d.x", p)
			for i := range perPub {
				if err := b.Publish(t.Context(), topic, i); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	pubs.Wait()
	close(stop)
	churn.Wait()
	for _, s := range subs {
		s.Unsubscribe()
	}
	consumers.Wait()

	seq := make([]int, perPub)
	for i := range seq {
		seq[i] = i
	}
	all := map[string][]int{}
	for p := range publishers {
		all[fmt.Sprintf("load.p%d.x", p)] = seq
	}
	want := map[string]map[string][]int{
		"load.>":    all,
		"load.*.x":  all,
		"load.p0.x": {"load.p0.x": seq},
		"other.>":   {},
	}
	for i, r := range results {
		if diff := cmp.Diff(want[r.pattern], r.byPub); diff != "" {
			t.Errorf("%q: events by topic (-want +got):\n%s", r.pattern, diff)
		}
		if n := subs[i].Dropped(); n != 0 {
			t.Errorf("%q: Dropped() = %d, want 0", r.pattern, n)
		}
	}
}

// refMatch is the obvious matcher that the trie must agree with.
func refMatch(pattern, topic string) bool {
	p, tt := strings.Split(pattern, "."), strings.Split(topic, ".")
	for i, tok := range p {
		if tok == ">" && i == len(p)-1 {
			return len(tt) > i
		}
		if i >= len(tt) || (tok != "*" && tok != tt[i]) {
			return false
		}
	}
	return len(p) == len(tt)
}

// refValid mirrors the NATS server's subject validation.
func refValid(subject string, literal bool) bool {
	if subject == "" {
		return false
	}
	tokens := strings.Split(subject, ".")
	for i, tok := range tokens {
		if tok == "" || strings.ContainsAny(tok, " \t\n\r\f") {
			return false
		}
		if (tok == "*" || tok == ">") && literal {
			return false
		}
		if tok == ">" && i != len(tokens)-1 {
			return false
		}
	}
	return true
}

// fuzzPatterns share the trie with the fuzzed pattern, so that matching must
// pick the right branches among several.
var fuzzPatterns = []string{
	"a", "a.b", "a.*", "a.>", "*", ">", "*.b", "a.b.c", "*.*.*", "a.*.c", "a.b.>", "*.>",
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"a.b", "a.b"},
		{"a.*", "a.b"},
		{"a.>", "a.b.c"},
		{">", "a"},
		{"*.*", "a"},
		{"a.>.b", "a.x.b"},
		{"a..b", "a.b"},
		{"a b", "a"},
		{"a*", "a*"},
		{"x.*.>", "x.y"},
		{"db.*.todos.>", "db.public.todos.insert"},
		{"", ""},
		{".", "a."},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		if got, want := checkSubject(pattern, false) == nil, refValid(pattern, false); got != want {
			t.Fatalf("pattern %q: valid = %v, want %v", pattern, got, want)
		}
		if got, want := checkSubject(topic, true) == nil, refValid(topic, true); got != want {
			t.Fatalf("topic %q: valid = %v, want %v", topic, got, want)
		}
		if !refValid(pattern, false) || !refValid(topic, true) {
			return
		}

		var root busNode
		patterns := append([]string{pattern}, fuzzPatterns...)
		subs := make([]*Subscription, len(patterns))
		for i, p := range patterns {
			subs[i] = &Subscription{pattern: p}
			root.insert(p, subs[i])
		}
		check := func(from int) {
			t.Helper()
			var want []string
			for _, s := range subs[from:] {
				if refMatch(s.pattern, topic) {
					want = append(want, s.pattern)
				}
			}
			var got []string
			for _, s := range root.match(topic, nil) {
				got = append(got, s.pattern)
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("match(%q) (-ref +trie):\n%s", topic, diff)
			}
		}
		check(0)
		root.remove(pattern, subs[0])
		check(1)
		for _, s := range subs[1:] {
			root.remove(s.pattern, s)
		}
		if !root.empty() {
			t.Fatalf("trie not pruned after removing every pattern: %+v", root)
		}
	})
}
