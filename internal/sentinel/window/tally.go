package window

import (
	"sync/atomic"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// Counters is a snapshot of an agent's counts.
type Counters struct {
	Events   uint64            // events observed
	Findings map[string]uint64 // findings reported, by label
}

// Tally counts an agent's events and findings with atomics. Make one with
// [NewTally]; it is safe for concurrent use.
type Tally struct {
	events atomic.Uint64
	labels []string
	counts []atomic.Uint64
	other  atomic.Uint64
}

// NewTally returns a Tally for findings labelled with labels.
func NewTally(labels ...string) *Tally {
	return &Tally{labels: labels, counts: make([]atomic.Uint64, len(labels))}
}

// Event counts one observed event.
func (t *Tally) Event() { t.events.Add(1) }

// Found counts findings.
func (t *Tally) Found(fs []event.Finding) {
next:
	for i := range fs {
		for j, l := range t.labels {
			if l == fs[i].Label {
				t.counts[j].Add(1)
				continue next
			}
		}
		t.other.Add(1)
	}
}

// Snapshot returns the counts so far; every label is present.
func (t *Tally) Snapshot() Counters {
	c := Counters{Events: t.events.Load(), Findings: make(map[string]uint64, len(t.labels))}
	for i, l := range t.labels {
		c.Findings[l] = t.counts[i].Load()
	}
	if n := t.other.Load(); n > 0 {
		c.Findings["other"] = n
	}
	return c
}
