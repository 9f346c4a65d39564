package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The baseline is the least a limiter could do: increment a counter in a
// map behind one mutex. MemoryStore's figures are read as a ratio to it.

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "ip\x1f192.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return keys
}

func BenchmarkBaselineMutexMap(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		b.Run(strconv.Itoa(n)+"-keys", func(b *testing.B) {
			keys := benchKeys(n)
			var mu sync.Mutex
			m := make(map[string]int)
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(7919))
				for pb.Next() {
					k := keys[i%n]
					i++
					mu.Lock()
					m[k]++
					mu.Unlock()
				}
			})
		})
	}
}

func BenchmarkMemoryStoreTake(b *testing.B) {
	// A rule that always allows, so every call writes, as the baseline does.
	rule := Rule{Rate: 1e9, Burst: 1_000_000_000}
	for _, n := range []int{1, 10_000} {
		b.Run(strconv.Itoa(n)+"-keys", func(b *testing.B) {
			keys := benchKeys(n)
			s := NewMemoryStore(MemoryOptions{SweepInterval: -1})
			defer s.Close()
			now := time.Now()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(7919))
				for pb.Next() {
					if _, err := s.Take(b.Context(), keys[i%n], rule, 1, now); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

func BenchmarkLimiterCheck(b *testing.B) {
	l := NewLimiter(NewMemoryStore(MemoryOptions{SweepInterval: -1}), "default")
	defer l.Store.(*MemoryStore).Close()
	rule := Rule{Rate: 1e9, Burst: 1_000_000_000}
	ips := benchKeys(10_000)
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			_, err := l.Check(b.Context(),
				Key{Dimension: "ip", Value: ips[i%len(ips)], Rule: rule},
				Key{Dimension: "apikey", Value: "key_123", Rule: rule})
			if err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
