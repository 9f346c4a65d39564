package sqlguard

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/sentinel/corpus"
)

// benchValues returns n values of the corpus: attacks, benign values or
// a mix (one attack in twenty, as a busy API might see under a scan).
func benchValues(kind string, n int) []string {
	r := rand.New(rand.NewPCG(99, 3))
	var samples []corpus.Sample
	switch kind {
	case "benign":
		samples = corpus.Benign(r, n)
	case "attack":
		samples = corpus.SQLi(r, n)
	default:
		samples = append(corpus.Benign(r, n-n/20), corpus.SQLi(r, n/20)...)
		r.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	}
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = s.Value
	}
	return out
}

// BenchmarkInspect reports ns/op over a corpus mix, and the p50 and p99
// of single inspections (timed one by one, which adds the clock's cost,
// some tens of ns, to each).
func BenchmarkInspect(b *testing.B) {
	for _, kind := range []string{"benign", "attack", "mixed"} {
		b.Run(kind, func(b *testing.B) {
			g := newTestGuard(b)
			values := benchValues(kind, 4096)
			lat := make([]time.Duration, 1<<18)
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				v := values[n%len(values)]
				start := time.Now()
				g.Inspect(v)
				lat[n%len(lat)] = time.Since(start)
				n++
			}
			lat = lat[:min(n, len(lat))]
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}

// BenchmarkPrefilter is the cost of a benign value that leaves at the
// prefilter: a name, an id, an email.
func BenchmarkPrefilter(b *testing.B) {
	g := newTestGuard(b)
	values := []string{"Patrick Murphy", "550e8400-e29b-41d4-a716-446655440000", "jane.doe@example.com", "42", "in stock"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Inspect(values[i%len(values)])
	}
}
