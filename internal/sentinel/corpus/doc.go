// Package corpus generates labelled values for measuring the sentinel's
// value agents (sqlguard, xssguard, pathguard): attacks built from
// grammars with the mutations and evasions real payloads carry, and
// benign values drawn from realistic schemas and the hard cases (names
// with apostrophes, prose full of SQL words, PostgREST filters, JSON,
// passwords with punctuation).
//
// Every generator takes a *rand.Rand the caller seeds, so a corpus is
// reproducible from its seed: train on one seed, measure on another.
// Generators are pure functions of their random source; a *rand.Rand is
// not safe for concurrent use, so give each goroutine its own.
//
// Each kind of value has its file ([Benign] in benign.go, [SQLi] in
// sqli.go); the helpers oneOf and withProb in this file are shared.
package corpus

import "math/rand/v2"

// The labels a [Sample] carries.
const (
	LabelBenign    = "benign"
	LabelSQLi      = "sqli"    // generic SQL injection (any dialect)
	LabelSQLiPG    = "sqli_pg" // SQL injection using PostgreSQL specifics
	LabelXSS       = "xss"
	LabelTraversal = "traversal"
)

// Sample is one labelled value.
type Sample struct {
	Value string
	Label string
}

// oneOf returns one of xs; shared by the generators of this package.
func oneOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// withProb reports true with probability p.
func withProb(r *rand.Rand, p float64) bool { return r.Float64() < p }
