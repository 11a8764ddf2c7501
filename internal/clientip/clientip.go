package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of a request. The zero value trusts no
// proxy and answers the socket peer's address.
type Resolver struct {
	trusted []netip.Prefix
}

// maxHops bounds how many X-Forwarded-For entries are examined, so a
// request with an enormous header costs no more than a short one.
const maxHops = 32

// Parse builds a Resolver from a comma-separated list of trusted proxies,
// each an IP address or a CIDR prefix ("10.0.0.0/8, 192.0.2.7, ::1").
// An empty list trusts nobody.
func Parse(spec string) (Resolver, error) {
	var r Resolver
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(f, "/") {
			var err error
			if p, err = netip.ParsePrefix(f); err != nil {
				return Resolver{}, fmt.Errorf("parse trusted proxy %q: want an IP address or CIDR prefix", f)
			}
			if p.Addr().Is4In6() {
				if p.Bits() < 96 {
					return Resolver{}, fmt.Errorf("parse trusted proxy %q: an IPv4-mapped prefix needs at least 96 bits", f)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			p = p.Masked()
		} else {
			a, err := netip.ParseAddr(f)
			if err != nil || a.Zone() != "" {
				return Resolver{}, fmt.Errorf("parse trusted proxy %q: want an IP address or CIDR prefix", f)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

// Trusts reports whether a is a configured trusted proxy.
func (r Resolver) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client address of req, or the zero Addr when the peer
// address is not an IP (a Unix socket, a test's fake request).
func (r Resolver) Addr(req *http.Request) netip.Addr {
	peer, ok := parseHop(req.RemoteAddr)
	if !ok || len(r.trusted) == 0 || !r.Trusts(peer) {
		return peer
	}
	if xff := req.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return r.walk(peer, xff)
	}
	// Proxies configured to send only X-Real-IP (a common nginx setup)
	// name the client in one address.
	if a, ok := parseHop(req.Header.Get("X-Real-IP")); ok {
		return a
	}
	return peer
}

// String is Addr as text, or "" when the request has no IP peer.
func (r Resolver) String(req *http.Request) string {
	a := r.Addr(req)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// walk reads the X-Forwarded-For header lines from the right, starting at
// the trusted peer, and returns the right-most address that is not a
// trusted proxy. When every hop is trusted the left-most one is the client;
// a malformed hop stops the walk at the last vouched-for address.
func (r Resolver) walk(peer netip.Addr, lines []string) netip.Addr {
	client := peer
	hops := 0
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for line != "" {
			var hop string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				hop, line = line[j+1:], line[:j]
			} else {
				hop, line = line, ""
			}
			if strings.TrimSpace(hop) == "" {
				continue // "a, , b" and trailing commas carry nothing
			}
			if hops++; hops > maxHops {
				return client
			}
			a, ok := parseHop(hop)
			if !ok {
				return client
			}
			client = a
			if !r.Trusts(a) {
				return a
			}
		}
	}
	return client
}

// parseHop parses one hop: an address, an address with a port
// ("192.0.2.1:443", "[2001:db8::1]:443") or a bracketed IPv6 address. Zones
// are dropped and IPv4-mapped IPv6 addresses unmapped, so one client has
// one spelling.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		host, _, herr := net.SplitHostPort(s)
		if herr != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
			if host == s {
				return netip.Addr{}, false
			}
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.WithZone("").Unmap(), true
}

// Bucket is the key under which per-address limits count a client: the
// address itself for IPv4, its /64 network for IPv6, since one IPv6
// subscriber is usually handed a whole /64 and could otherwise take a new
// budget with every address. The zero Addr has the bucket "".
func Bucket(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
