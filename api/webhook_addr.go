package api

import "net/netip"

// Which addresses a webhook may reach: only the public internet. The rules
// are the IANA special-purpose registries (RFC 6890 and its successors),
// applied to IPv4 addresses and to every IPv4 address an IPv6 address
// carries inside it. Without the latter, [::ffff:127.0.0.1],
// [64:ff9b::7f00:1] or [2002:7f00:1::] would be loopback in disguise: the
// kernel or a translator on the path turns them back into IPv4.

// deniedV4 are the IPv4 ranges that are not public unicast.
var deniedV4 = prefixes(
	"0.0.0.0/8",          // "this network"
	"10.0.0.0/8",         // private
	"100.64.0.0/10",      // carrier-grade NAT (shared address space)
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local (cloud metadata lives here)
	"172.16.0.0/12",      // private
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.2.0/24",       // documentation (TEST-NET-1)
	"192.88.99.0/24",     // deprecated 6to4 relay anycast
	"192.168.0.0/16",     // private
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation (TEST-NET-2)
	"203.0.113.0/24",     // documentation (TEST-NET-3)
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, and the limited broadcast address
	"255.255.255.255/32", // (inside 240/4; named for the reader)
)

// IPv6 ranges with special meaning.
var (
	// global6 is global unicast; everything outside it (loopback ::1, the
	// unspecified ::, the deprecated IPv4-compatible ::/96, unique-local
	// fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast
	// ff00::/8, discard-only 100::/64, ...) is refused unless one of the
	// IPv4 embeddings below applies.
	global6 = netip.MustParsePrefix("2000::/3")
	// nat64 is the NAT64 well-known prefix (RFC 6052): the IPv4 address is
	// the last 32 bits.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// nat64Local is the NAT64 local-use prefix (RFC 8215). The operator
	// picks the prefix length (/48 to /96) and so where the IPv4 address
	// sits; every position RFC 6052 allows within it must be public.
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	// sixToFour is 6to4 (RFC 3056): the IPv4 address is bits 16-48.
	sixToFour = netip.MustParsePrefix("2002::/16")
	// teredo is Teredo (RFC 4380): the server's IPv4 address is bits
	// 32-64, the client's the last 32 bits inverted.
	teredo = netip.MustParsePrefix("2001::/32")
	// deniedV6 are the ranges inside global6 that are not public unicast.
	deniedV6 = prefixes(
		"2001::/23",     // IETF protocol assignments (Teredo is decided before)
		"2001:db8::/32", // documentation
		"3fff::/20",     // documentation
		"5f00::/16",     // segment-routing SIDs
	)
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// publicAddr reports whether ip is a public unicast address, and so one a
// webhook delivery may connect to. An IPv6 address that embeds an IPv4
// address (IPv4-mapped, NAT64, 6to4, Teredo) is public only if every
// embedded IPv4 address is. An address with a zone is scoped to a link and
// never public.
func publicAddr(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	if ip.Is4() {
		return public4(ip)
	}
	b := ip.As16()
	switch {
	case ip.Is4In6():
		return public4(ip.Unmap())
	case nat64.Contains(ip):
		return public4(v4(b[12], b[13], b[14], b[15]))
	case nat64Local.Contains(ip):
		// RFC 6052 section 2.2: bits 64-71 are skipped; the IPv4 address
		// starts at bit /48, /56, /64 or /96 of the prefix length used.
		return public4(v4(b[6], b[7], b[9], b[10])) && public4(v4(b[7], b[9], b[10], b[11])) &&
			public4(v4(b[9], b[10], b[11], b[12])) && public4(v4(b[12], b[13], b[14], b[15]))
	case sixToFour.Contains(ip):
		return public4(v4(b[2], b[3], b[4], b[5]))
	case teredo.Contains(ip):
		return public4(v4(b[4], b[5], b[6], b[7])) && public4(v4(^b[12], ^b[13], ^b[14], ^b[15]))
	case !global6.Contains(ip):
		return false
	}
	for _, p := range deniedV6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// public4 reports whether an IPv4 address is public unicast.
func public4(ip netip.Addr) bool {
	for _, p := range deniedV4 {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.Is4()
}

func v4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }
