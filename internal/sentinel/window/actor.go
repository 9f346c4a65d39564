package window

import (
	"net/netip"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// The scopes of [event.Finding], as [Key] scopes.
const (
	ScopeIP      = "ip"
	ScopeNet     = "net"
	ScopeKey     = "key"
	ScopeUser    = "user"
	ScopeSession = "session"
	ScopeAccount = "account"
)

// IPKey returns the key of a's address.
func IPKey(a *event.Actor) Key { return Key{Scope: ScopeIP, Addr: a.IP} }

// NetKey returns the key of the network around addr: its /24 for IPv4,
// its /64 for IPv6; the zero Key for an invalid address.
func NetKey(addr netip.Addr) Key {
	if !addr.IsValid() {
		return Key{}
	}
	addr = addr.Unmap()
	bits := 64
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return Key{}
	}
	return Key{Scope: ScopeNet, Addr: p.Addr()}
}

// Principal returns the narrowest stable identity of a request's actor:
// its user when signed in; else its key when the key is not the shared
// anonymous one (a service or scoped key); else its address. The anon key
// is shared by every visitor of a project, so a baseline per anon key
// would pool them all.
func Principal(a *event.Actor) Key {
	switch {
	case a.UserID != "":
		return Key{Scope: ScopeUser, ID: a.UserID}
	case a.KeyID != "" && a.Role != "" && a.Role != "anon" && a.Role != "authenticated":
		return Key{Scope: ScopeKey, ID: a.KeyID}
	default:
		return Key{Scope: ScopeIP, Addr: a.IP}
	}
}
