package sentinel

import (
	"net/netip"
	"time"
)

// Block is an actor refused until a time.
type Block struct {
	Scope string `json:"scope"`
	// Subject is the actor at Scope: an address ("203.0.113.9"), a network
	// ("203.0.113.0/24"), or "<project ref>/<id>" for a key, user, session
	// or account.
	Subject  string    `json:"subject"`
	Until    time.Time `json:"until"`
	Reason   string    `json:"reason"`
	Incident string    `json:"incident,omitempty"`
	// Offences counts the blocks this subject has had, this one included:
	// each doubles the duration.
	Offences int  `json:"offences"`
	Manual   bool `json:"manual"` // by an operator, not a scenario
	// StepUp admits the user again once signed in with MFA (aal2).
	StepUp  bool      `json:"step_up,omitempty"`
	Created time.Time `json:"created_at"`
}

func (b *Block) active(now time.Time) bool { return b != nil && now.Before(b.Until) }

// blockSet is an immutable snapshot of the blocks: the request path reads
// it without a lock; writers copy it ([Sentinel.mu]).
type blockSet struct {
	m             map[blockKey]*Block
	addrs, others int // blocks of addresses and networks; of the rest
}

// blockKey names a blocked subject: an address, a network, or an id
// ("<ref>/<id>") at another scope.
type blockKey struct {
	scope string
	addr  netip.Addr
	net   netip.Prefix
	id    string
}

// keyOf reads subject at scope as a key; ok is false for an address or
// network that does not parse.
func keyOf(scope, subject string) (k blockKey, ok bool) {
	switch scope {
	case ScopeIP:
		a, err := netip.ParseAddr(subject)
		return blockKey{scope: scope, addr: a.Unmap()}, err == nil
	case ScopeNet:
		p, err := netip.ParsePrefix(subject)
		return blockKey{scope: scope, net: p.Masked()}, err == nil
	}
	return blockKey{scope: scope, id: subject}, true
}

func newBlockSet() *blockSet { return &blockSet{m: map[blockKey]*Block{}} }

func (s *blockSet) len() int { return len(s.m) }

func (s *blockSet) clone() *blockSet {
	c := &blockSet{m: make(map[blockKey]*Block, len(s.m)), addrs: s.addrs, others: s.others}
	for k, v := range s.m {
		c.m[k] = v
	}
	return c
}

// count keeps the kinds' counts as key k comes (+1) or goes (-1).
func (s *blockSet) count(k blockKey, d int) {
	if k.scope == ScopeIP || k.scope == ScopeNet {
		s.addrs += d
	} else {
		s.others += d
	}
}

// put adds b (replacing the subject's block); remove deletes one. Both on
// a clone.
func (s *blockSet) put(b *Block) {
	k, ok := keyOf(b.Scope, b.Subject)
	if !ok {
		return
	}
	if _, had := s.m[k]; !had {
		s.count(k, 1)
	}
	s.m[k] = b
}

func (s *blockSet) remove(scope, subject string) bool {
	k, ok := keyOf(scope, subject)
	if _, had := s.m[k]; !ok || !had {
		return false
	}
	delete(s.m, k)
	s.count(k, -1)
	return true
}

// ip returns the active block of address a or its network.
func (s *blockSet) ip(a netip.Addr, now time.Time) *Block {
	if !a.IsValid() || s.addrs == 0 {
		return nil
	}
	if b := s.m[blockKey{scope: ScopeIP, addr: a}]; b.active(now) {
		return b
	}
	if b := s.m[blockKey{scope: ScopeNet, net: netOf(a)}]; b.active(now) {
		return b
	}
	return nil
}

// find returns the active block of id of project ref at scope (not ip or
// net).
func (s *blockSet) find(scope, ref, id string, now time.Time) *Block {
	if id == "" || s.others == 0 {
		return nil
	}
	if b := s.m[blockKey{scope: scope, id: ref + "/" + id}]; b.active(now) {
		return b
	}
	return nil
}

// lookup returns the active block of subject at scope, as stored.
func (s *blockSet) lookup(scope, subject string, now time.Time) *Block {
	k, ok := keyOf(scope, subject)
	if b := s.m[k]; ok && b.active(now) {
		return b
	}
	return nil
}

func (s *blockSet) all() []*Block {
	out := make([]*Block, 0, len(s.m))
	for _, b := range s.m {
		out = append(out, b)
	}
	return out
}

// netOf is the network an address is grouped in: its /24, or /64 for IPv6.
func netOf(a netip.Addr) netip.Prefix {
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits) // bits is within the address's length
	return p
}

// allowSet is the allow-list, immutable like blockSet.
type allowSet struct {
	nets  []netip.Prefix
	keys  map[string]bool
	users map[string]bool
	route map[string]bool
}

func newAllowSet(c AllowConfig) *allowSet {
	nets, _ := parseAllowIPs(c.IPs) // Validate reported bad ones
	a := &allowSet{nets: nets, keys: map[string]bool{}, users: map[string]bool{}, route: map[string]bool{}}
	for _, k := range c.Keys {
		a.keys[k] = true
	}
	for _, u := range c.Users {
		a.users[u] = true
	}
	for _, r := range c.Routes {
		a.route[r] = true
	}
	return a
}

func (a *allowSet) ip(ip netip.Addr) bool {
	for _, p := range a.nets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
