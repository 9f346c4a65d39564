package sentinel

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// scoreboard keeps each actor's decaying score per scenario: score(t) =
// score(t0)·2^-((t-t0)/halfLife) + what findings add. Sharded so that
// findings of many actors do not contend; entries idle for long are
// swept.
type scoreboard struct {
	halfLife time.Duration
	seed     maphash.Seed
	shards   [16]scoreShard
}

type scoreShard struct {
	mu sync.Mutex
	m  map[scoreKey]*score
}

type scoreKey struct {
	scenario int
	actor    string // scope + ":" + subject
}

type score struct {
	v  float64
	at time.Time
}

func newScoreboard(halfLife time.Duration) *scoreboard {
	b := &scoreboard{halfLife: halfLife, seed: maphash.MakeSeed()}
	for i := range b.shards {
		b.shards[i].m = map[scoreKey]*score{}
	}
	return b
}

func (b *scoreboard) shard(k scoreKey) *scoreShard {
	return &b.shards[maphash.String(b.seed, k.actor)%uint64(len(b.shards))]
}

// add decays k's score to now, adds v and returns the new score.
func (b *scoreboard) add(k scoreKey, v float64, now time.Time) float64 {
	sh := b.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := sh.m[k]
	if s == nil {
		s = &score{at: now}
		sh.m[k] = s
	}
	s.v = b.decayed(s, now) + v
	s.at = now
	return s.v
}

// reset zeroes k's score (its scenario fired).
func (b *scoreboard) reset(k scoreKey) {
	sh := b.shard(k)
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}

func (b *scoreboard) decayed(s *score, now time.Time) float64 {
	dt := now.Sub(s.at)
	if dt <= 0 {
		return s.v
	}
	return s.v * math.Exp2(-float64(dt)/float64(b.halfLife))
}

// sweep forgets scores that decayed below a hundredth.
func (b *scoreboard) sweep(now time.Time) {
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		for k, s := range sh.m {
			if b.decayed(s, now) < 0.01 {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
