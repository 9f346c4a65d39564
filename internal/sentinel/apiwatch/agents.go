package apiwatch

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// maxAgentLen bounds the part of a User-Agent that is matched.
const maxAgentLen = 512

// agentMatcher finds attack tools' words in User-Agents. Browsers and apps
// send the same few User-Agents over and over, so results are cached in
// a small lock-free direct-mapped table: a hit costs a hash and a string
// comparison, a miss one allocation.
type agentMatcher struct {
	// words maps a lowercased word to the tools' words and phrases that
	// start with it.
	words          map[string][]string
	minLen, maxLen int // of the keys of words: shorter or longer words are skipped
	seed           maphash.Seed
	cache          [1024]atomic.Pointer[agentResult]
}

type agentResult struct {
	ua, tool string
}

func newAgentMatcher(list []string) *agentMatcher {
	m := &agentMatcher{words: map[string][]string{}, seed: maphash.MakeSeed(), minLen: 1 << 30}
	for _, w := range list {
		w = strings.ToLower(strings.TrimSpace(w))
		first := w
		for i := range len(w) {
			if !isAlnum(w[i]) {
				first = w[:i]
				break
			}
		}
		if first == "" {
			continue
		}
		m.words[first] = append(m.words[first], w)
		m.minLen, m.maxLen = min(m.minLen, len(first)), max(m.maxLen, len(first))
	}
	return m
}

// match returns the tool ua names, or "".
func (m *agentMatcher) match(ua string) string {
	if ua == "" {
		return ""
	}
	ua = ua[:min(len(ua), maxAgentLen)]
	slot := &m.cache[maphash.String(m.seed, ua)&1023]
	if r := slot.Load(); r != nil && r.ua == ua {
		return r.tool
	}
	tool := m.scan(ua)
	slot.Store(&agentResult{ua: ua, tool: tool})
	return tool
}

func (m *agentMatcher) scan(ua string) string {
	var arr [64]byte
	word := arr[:0] // the current word, lowercased, truncated at 64 bytes
	n := 0          // the current word's length
	for i := 0; i <= len(ua); i++ {
		if i < len(ua) && isAlnum(ua[i]) {
			if len(word) < cap(word) {
				word = append(word, lower(ua[i]))
			}
			n++
			continue
		}
		if n >= m.minLen && n <= m.maxLen && n == len(word) && (word[0] < '0' || word[0] > '9') {
			for _, p := range m.words[string(word)] {
				if len(p) == n {
					return p // the word itself
				}
				if start := i - n; len(ua)-start >= len(p) && strings.EqualFold(ua[start:start+len(p)], p) {
					return p
				}
			}
		}
		word, n = word[:0], 0
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
