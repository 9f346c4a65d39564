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
	ips   map[netip.Addr]*Block
	nets  map[netip.Prefix]*Block
	other map[string]*Block // scope + "\x00" + subject
}

func (s *blockSet) len() int { return len(s.ips) + len(s.nets) + len(s.other) }

func (s *blockSet) clone() *blockSet {
	c := &blockSet{
		ips:   make(map[netip.Addr]*Block, len(s.ips)),
		nets:  make(map[netip.Prefix]*Block, len(s.nets)),
		other: make(map[string]*Block, len(s.other)),
	}
	for k, v := range s.ips {
		c.ips[k] = v
	}
	for k, v := range s.nets {
		c.nets[k] = v
	}
	for k, v := range s.other {
		c.other[k] = v
	}
	return c
}

// put adds b (replacing the subject's block); remove deletes one. Both on
// a clone.
func (s *blockSet) put(b *Block) {
	switch b.Scope {
	case ScopeIP:
		if a, err := netip.ParseAddr(b.Subject); err == nil {
			s.ips[a.Unmap()] = b
		}
	case ScopeNet:
		if p, err := netip.ParsePrefix(b.Subject); err == nil {
			s.nets[p.Masked()] = b
		}
	default:
		s.other[b.Scope+"\x00"+b.Subject] = b
	}
}

func (s *blockSet) remove(scope, subject string) bool {
	switch scope {
	case ScopeIP:
		if a, err := netip.ParseAddr(subject); err == nil {
			_, ok := s.ips[a.Unmap()]
			delete(s.ips, a.Unmap())
			return ok
		}
	case ScopeNet:
		if p, err := netip.ParsePrefix(subject); err == nil {
			_, ok := s.nets[p.Masked()]
			delete(s.nets, p.Masked())
			return ok
		}
	default:
		_, ok := s.other[scope+"\x00"+subject]
		delete(s.other, scope+"\x00"+subject)
		return ok
	}
	return false
}

// ip returns the active block of address a or its network.
func (s *blockSet) ip(a netip.Addr, now time.Time) *Block {
	if !a.IsValid() || len(s.ips)+len(s.nets) == 0 {
		return nil
	}
	if b := s.ips[a]; b.active(now) {
		return b
	}
	if len(s.nets) > 0 {
		if b := s.nets[netOf(a)]; b.active(now) {
			return b
		}
	}
	return nil
}

// find returns the active block of subject at scope (not ip or net).
func (s *blockSet) find(scope, ref, id string, now time.Time) *Block {
	if id == "" || len(s.other) == 0 {
		return nil
	}
	if b := s.other[scope+"\x00"+ref+"/"+id]; b.active(now) {
		return b
	}
	return nil
}

func (s *blockSet) all() []*Block {
	out := make([]*Block, 0, s.len())
	for _, b := range s.ips {
		out = append(out, b)
	}
	for _, b := range s.nets {
		out = append(out, b)
	}
	for _, b := range s.other {
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

// lookup returns the active block of subject at scope, as stored.
func (s *blockSet) lookup(scope, subject string, now time.Time) *Block {
	var b *Block
	switch scope {
	case ScopeIP:
		if a, err := netip.ParseAddr(subject); err == nil {
			b = s.ips[a.Unmap()]
		}
	case ScopeNet:
		if p, err := netip.ParsePrefix(subject); err == nil {
			b = s.nets[p.Masked()]
		}
	default:
		b = s.other[scope+"\x00"+subject]
	}
	if b.active(now) {
		return b
	}
	return nil
}
