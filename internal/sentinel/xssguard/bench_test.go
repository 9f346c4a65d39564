package xssguard

import (
	"math/rand/v2"
	"testing"

	"github.com/magflock/mobo/internal/sentinel/corpus"
	"github.com/magflock/mobo/internal/sentinel/event"
	"github.com/magflock/mobo/internal/sentinel/inspecttest"
)

// BenchmarkInspect measures Inspect over a benign mix (plain values,
// which the prefilter passes, and hard benign markup) and an attack mix,
// reporting ns/op and the p99 of single calls.
func BenchmarkInspect(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	plain := []string{
		"Alice Smith", "hello world", "a regular sentence with words", "2024-05-01",
		"alice@example.org", "The quick brown fox jumps over the lazy dog", "42", "true",
	}
	var benign []string
	for i := range 512 {
		if i%2 == 0 {
			benign = append(benign, plain[i%len(plain)])
		}
	}
	benign = append(benign, inspecttest.Values(corpus.BenignMarkup(r, 256))...)
	attacks := inspecttest.Values(corpus.XSS(r, 512))
	inspecttest.Bench(b, func() event.Inspector { return new(Guard) },
		inspecttest.Mix{Name: "plain", Values: plain},
		inspecttest.Mix{Name: "benign", Values: benign},
		inspecttest.Mix{Name: "attack", Values: attacks})
}
