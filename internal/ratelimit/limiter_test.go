package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// plainStore hides MemoryStore's TakeAll, to test Check's path for a store
// with Take only.
type plainStore struct{ s *MemoryStore }

func (p plainStore) Take(ctx context.Context, key string, rule Rule, n int, now time.Time) (Decision, error) {
	return p.s.Take(ctx, key, rule, n, now)
}

type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Take(context.Context, string, Rule, int, time.Time) (Decision, error) {
	return Decision{}, errDown
}

func TestLimiterCheck(t *testing.T) {
	t.Parallel()
	ip := Rule{Rate: 1, Burst: 5}
	user := Rule{Rate: 1, Burst: 2}
	tests := []struct {
		name  string
		calls [][]Key
		want  []Decision
	}{
		{
			name:  "no keys",
			calls: [][]Key{nil},
			want:  []Decision{{Allowed: true}},
		},
		{
			name: "fewest remaining reported; denial takes from no key",
			calls: [][]Key{
				{{Dimension: "ip", Value: "1.2.3.4", Rule: ip}, {Dimension: "user", Value: "u1", Rule: user}},
				{{Dimension: "ip", Value: "1.2.3.4", Rule: ip}, {Dimension: "user", Value: "u1", Rule: user}},
				{{Dimension: "ip", Value: "1.2.3.4", Rule: ip}, {Dimension: "user", Value: "u1", Rule: user}},
				{{Dimension: "ip", Value: "1.2.3.4", Rule: ip}},
			},
			want: []Decision{
				{Allowed: true, Limit: 2, Remaining: 1, Reset: time.Second, Dimension: "user"},
				{Allowed: true, Limit: 2, Remaining: 0, Reset: 2 * time.Second, Dimension: "user"},
				{Limit: 2, Remaining: 0, RetryAfter: time.Second, Reset: 2 * time.Second, Dimension: "user"},
				// ip spent 2 of 5, not 3: the denied call took nothing.
				{Allowed: true, Limit: 5, Remaining: 2, Reset: 3 * time.Second, Dimension: "ip"},
			},
		},
		{
			name: "the longest wait is reported",
			calls: [][]Key{
				{{Dimension: "a", Value: "x", Rule: Rule{Rate: 1, Burst: 1}}, {Dimension: "b", Value: "x", Rule: Rule{Rate: 0.1, Burst: 1}}},
				{{Dimension: "a", Value: "x", Rule: Rule{Rate: 1, Burst: 1}}, {Dimension: "b", Value: "x", Rule: Rule{Rate: 0.1, Burst: 1}}},
			},
			want: []Decision{
				{Allowed: true, Limit: 1, Remaining: 0, Reset: 10 * time.Second, Dimension: "b"},
				{Limit: 1, RetryAfter: 10 * time.Second, Reset: 10 * time.Second, Dimension: "b"},
			},
		},
		{
			name: "scopes and dimensions are separate buckets",
			calls: [][]Key{
				{{Dimension: "ip", Value: "v", Rule: Rule{Rate: 1, Burst: 1}}},
				{{Dimension: "ip", Value: "v", Rule: Rule{Rate: 1, Burst: 1}, Scope: "POST /auth/v1/token"}},
				{{Dimension: "user", Value: "v", Rule: Rule{Rate: 1, Burst: 1}}},
			},
			want: []Decision{
				{Allowed: true, Limit: 1, Reset: time.Second, Dimension: "ip"},
				{Allowed: true, Limit: 1, Reset: time.Second, Dimension: "ip"},
				{Allowed: true, Limit: 1, Reset: time.Second, Dimension: "user"},
			},
		},
	}
	stores := map[string]func(*MemoryStore) Store{
		"multi": func(s *MemoryStore) Store { return s },
		"plain": func(s *MemoryStore) Store { return plainStore{s} },
	}
	for sname, wrap := range stores {
		for _, tt := range tests {
			t.Run(sname+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				l := &Limiter{Store: wrap(newStore(t, MemoryOptions{SweepInterval: -1})), Prefix: "proj", Now: func() time.Time { return epoch }}
				for i, keys := range tt.calls {
					got, err := l.Check(t.Context(), keys...)
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					if diff := cmp.Diff(tt.want[i], got); diff != "" {
						t.Errorf("call %d (-want +got):\n%s", i, diff)
					}
				}
			})
		}
	}
}

func TestLimiterPrefix(t *testing.T) {
	t.Parallel()
	s := newStore(t, MemoryOptions{SweepInterval: -1})
	key := Key{Dimension: "ip", Value: "1.2.3.4", Rule: Rule{Rate: 1, Burst: 1}}
	for _, prefix := range []string{"a", "b"} {
		d, err := NewLimiter(s, prefix).Check(t.Context(), key)
		if err != nil || !d.Allowed {
			t.Errorf("project %s: %+v, %v; want its own bucket", prefix, d, err)
		}
	}
}

func TestLimiterErrors(t *testing.T) {
	t.Parallel()
	l := NewLimiter(failingStore{}, "")
	if _, err := l.Check(t.Context(), Key{Dimension: "ip", Value: "x", Rule: Rule{Rate: 1, Burst: 1}}); !errors.Is(err, errDown) {
		t.Errorf("Check = %v, want errDown", err)
	}
	l = NewLimiter(newStore(t, MemoryOptions{SweepInterval: -1}), "")
	if _, err := l.Check(t.Context(), Key{Dimension: "ip", Value: "x"}); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("Check with a zero rule = %v, want ErrInvalidRule", err)
	}
}
