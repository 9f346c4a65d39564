package ratelimit

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Header names written and read by this package.
const (
	HeaderLimit        = "RateLimit-Limit"
	HeaderRemaining    = "RateLimit-Remaining"
	HeaderReset        = "RateLimit-Reset"
	HeaderRetryAfter   = "Retry-After"
	HeaderForwardedFor = "X-Forwarded-For"
	// HeaderForwarded is RFC 7239's standard form of X-Forwarded-For.
	HeaderForwarded = "Forwarded"
)

// SetHeaders writes d as the RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset headers of the IETF draft (draft-ietf-httpapi-ratelimit-
// headers): the bucket size, the tokens left, and the seconds until the
// bucket is full, rounded up. When d is a denial it also writes Retry-After,
// in whole seconds rounded up and at least 1. A decision with no limit
// (Limit zero) writes nothing.
func SetHeaders(h http.Header, d Decision) {
	if d.Limit <= 0 {
		return
	}
	h.Set(HeaderLimit, strconv.Itoa(d.Limit))
	h.Set(HeaderRemaining, strconv.Itoa(max(d.Remaining, 0)))
	h.Set(HeaderReset, strconv.FormatInt(ceilSeconds(d.Reset), 10))
	if !d.Allowed {
		h.Set(HeaderRetryAfter, strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10))
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Middleware limits the requests of the handler it wraps. keyFunc names the
// buckets of a request (nil or empty: not limited). An allowed request gets
// the RateLimit-* headers and goes on; a denied one gets them and
// Retry-After, and deny writes the response, in the API's own error format.
// A nil deny writes a bare 429.
//
// If the store fails the request is served (fail open) and the limiter's
// Logger, when set, records the error: an outage of a shared store must not take the API
// down with it.
func Middleware(l *Limiter, keyFunc func(*http.Request) []Key, deny func(w http.ResponseWriter, r *http.Request, d Decision)) func(http.Handler) http.Handler {
	if deny == nil {
		deny = func(w http.ResponseWriter, _ *http.Request, _ Decision) {
			http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			keys := keyFunc(r)
			if len(keys) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			d, err := l.Check(r.Context(), keys...)
			if err != nil {
				if l.Logger != nil {
					l.Logger.LogAttrs(r.Context(), slog.LevelError, "rate limit check", slog.String("error", err.Error()))
				}
				next.ServeHTTP(w, r)
				return
			}
			SetHeaders(w.Header(), d)
			if !d.Allowed {
				deny(w, r, d)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ClientIP returns the address of the client that sent r. The peer address
// (r.RemoteAddr) is the answer unless the peer is in trustedProxies; then
// the forwarding chain is read from the right — the RFC 7239 Forwarded
// header's for= parameters when the request has one, else
// X-Forwarded-For — skipping trusted proxies, and the first address not
// trusted is the client's. Entries left of it were written by the client
// and are never believed. If every hop is trusted the leftmost one is
// returned; an entry that does not parse (an obfuscated or "unknown"
// node) stops the walk at the last trusted hop. Ports and IPv6 zones are
// dropped and IPv4-mapped IPv6 addresses are unmapped. An unparsable
// RemoteAddr is returned as is.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	peer, err := parseHop(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if !trusted(peer, trustedProxies) {
		return peer.String()
	}
	hops := forwardedFor(r.Header.Values(HeaderForwarded))
	if hops == nil {
		for _, v := range r.Header.Values(HeaderForwardedFor) {
			hops = append(hops, strings.Split(v, ",")...)
		}
	}
	client := peer
	for j := len(hops) - 1; j >= 0; j-- {
		hop := strings.TrimSpace(hops[j])
		if hop == "" {
			continue
		}
		a, err := parseHop(hop)
		if err != nil {
			return client.String()
		}
		client = a
		if !trusted(a, trustedProxies) {
			return a.String()
		}
	}
	return client.String()
}

// forwardedFor returns the for= node of each element of RFC 7239
// Forwarded header values, in order (quotes removed; an element without
// for= gives ""), or nil when there is no such header.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			node := ""
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					node = strings.Trim(strings.TrimSpace(val), `"`)
				}
			}
			out = append(out, node)
		}
	}
	return out
}

// parseHop parses "addr", "addr:port" or "[addr]:port".
func parseHop(s string) (netip.Addr, error) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap().WithZone(""), nil
}

func trusted(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// IPKey returns the bucket value for a client address: IPv4 addresses (mapped
// or not) as they are, IPv6 addresses as their /64, since one client (one subscriber
// line) is usually given a whole /64 and could otherwise rotate through it.
// Anything that is not an address is returned unchanged.
func IPKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
