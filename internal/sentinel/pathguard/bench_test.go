package pathguard

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/corpus"
)

// BenchmarkInspect measures Inspect over a benign mix (plain values,
// which the prefilter passes, and hard benign paths) and an attack mix,
// reporting ns/op and the p99 of single calls.
func BenchmarkInspect(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	plain := []string{
		"Alice Smith", "hello world", "a regular sentence with words", "2024-05-01",
		"report-2024.pdf", "The quick brown fox jumps over the lazy dog", "42", "true", "photo.final.v2.jpg",
	}
	var benign []string
	for i := range 512 {
		if i%2 == 0 {
			benign = append(benign, plain[i%len(plain)])
		}
	}
	for _, s := range corpus.BenignPaths(r, 256) {
		benign = append(benign, s.Value)
	}
	var attacks []string
	for _, s := range corpus.Traversal(r, 512) {
		attacks = append(attacks, s.Value)
	}
	for _, mix := range []struct {
		name   string
		values []string
	}{{"plain", plain}, {"benign", benign}, {"attack", attacks}} {
		b.Run(mix.name, func(b *testing.B) {
			var g Guard
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v := mix.values[i%len(mix.values)]
				i++
				if i%16 == 0 && len(lat) < cap(lat) {
					// Time one call in 16, cycling through every value.
					v = mix.values[(i/16)%len(mix.values)]
					t0 := time.Now()
					g.Inspect(v)
					lat = append(lat, time.Since(t0))
					continue
				}
				g.Inspect(v)
			}
			if len(lat) > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}
