package api

import (
	"net/netip"
	"testing"
)

// addrCases are literal addresses and whether a webhook may reach them.
var addrCases = []struct {
	addr   string
	public bool
}{
	// Plain IPv4.
	{"8.8.8.8", true},
	{"93.184.216.34", true},
	{"1.1.1.1", true},
	{"0.0.0.0", false},
	{"0.1.2.3", false},
	{"10.0.0.1", false},
	{"100.64.0.1", false},
	{"100.127.255.254", false},
	{"100.128.0.1", true},
	{"127.0.0.1", false},
	{"127.255.255.254", false},
	{"169.254.169.254", false},
	{"172.16.0.1", false},
	{"172.31.255.255", false},
	{"172.32.0.1", true},
	{"192.0.0.8", false},
	{"192.0.2.1", false},
	{"192.88.99.1", false},
	{"192.168.1.1", false},
	{"198.18.0.1", false},
	{"198.51.100.7", false},
	{"203.0.113.9", false},
	{"224.0.0.1", false},
	{"239.255.255.250", false},
	{"240.0.0.1", false},
	{"255.255.255.255", false},

	// IPv4-mapped (::ffff:0:0/96).
	{"::ffff:8.8.8.8", true},
	{"::ffff:127.0.0.1", false},
	{"::ffff:7f00:1", false},
	{"::ffff:10.0.0.1", false},
	{"::ffff:169.254.169.254", false},
	{"::ffff:0.0.0.0", false},
	// IPv4-translated (::ffff:0:0:0/96, RFC 2765): not global unicast.
	{"::ffff:0:8.8.8.8", false},
	{"::ffff:0:127.0.0.1", false},

	// IPv4-compatible (::/96, deprecated): never a real target.
	{"::7f00:1", false},
	{"::127.0.0.1", false},
	{"::10.0.0.1", false},
	{"::8.8.8.8", false},
	{"::", false},
	{"::1", false},

	// NAT64 well-known prefix.
	{"64:ff9b::8.8.8.8", true},
	{"64:ff9b::808:808", true},
	{"64:ff9b::7f00:1", false},
	{"64:ff9b::127.0.0.1", false},
	{"64:ff9b::10.1.2.3", false},
	{"64:ff9b::169.254.169.254", false},
	{"64:ff9b::c0a8:101", false},
	// Inside 64:ff9b::/32 but outside the /96: not global unicast.
	{"64:ff9b:0:0:1::808:808", false},

	// NAT64 local-use prefix: every RFC 6052 position must be public.
	{"64:ff9b:1:808:8:808:808:808", true}, // 8.8.8.8 at /48, /56, /64 and /96
	{"64:ff9b:1::7f00:1", false},          // loopback at /96, zeros (0/8) elsewhere
	{"64:ff9b:1:7f00:0:100::", false},     // loopback at /48
	{"64:ff9b:1:808:8:808:7f00:1", false}, // public at /48-/64, loopback at /96
	{"64:ff9b:1:808:8:a00:1:808", false},  // 10.0.0.1 at /64

	// 6to4 (2002::/16): IPv4 in bits 16-48.
	{"2002:808:808::1", true},
	{"2002:7f00:1::", false},
	{"2002:7f00:1::1", false},
	{"2002:a00:1::", false},
	{"2002:a9fe:a9fe::", false},
	{"2002:c0a8:101::1", false},
	{"2002::1", false},

	// Teredo (2001::/32): server IPv4 in bits 32-64, client IPv4 inverted
	// in the last 32 bits.
	{"2001:0:808:808:0:0:f7f7:f7f7", true},  // server 8.8.8.8, client 8.8.8.8
	{"2001:0:7f00:1:0:0:f7f7:f7f7", false},  // server 127.0.0.1
	{"2001:0:808:808:0:0:80ff:fffe", false}, // client 127.0.0.1
	{"2001:0:808:808:0:0:f5ff:fffe", false}, // client 10.0.0.1
	{"2001:0:808:808::", false},             // client 255.255.255.255

	// Plain IPv6.
	{"2606:4700:4700::1111", true},
	{"2001:4860:4860::8888", true},
	{"2a00:1450:4001:81c::200e", true},
	{"fc00::1", false},
	{"fd12:3456:789a::1", false},
	{"fe80::1", false},
	{"fe80::1%eth0", false},
	{"2606:4700:4700::1111%eth0", false},
	{"fec0::1", false},
	{"ff02::1", false},
	{"ff0e::1", false},
	{"100::1", false},
	{"2001:db8::1", false},
	{"2001:2::1", false},
	{"2001:10::1", false},
	{"2001:20::1", false},
	{"2001:1::1", false},
	{"3fff::1", false},
	{"5f00::1", false},
	{"4000::1", false},
	{"::2", false},
}

func TestPublicAddr(t *testing.T) {
	for _, c := range addrCases {
		ip, err := netip.ParseAddr(c.addr)
		if err != nil {
			t.Fatalf("%s: %v", c.addr, err)
		}
		if got := publicAddr(ip); got != c.public {
			t.Errorf("publicAddr(%s) = %v, want %v", c.addr, got, c.public)
		}
	}
	if publicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// FuzzPublicAddr checks the classifier against the standard library's
// predicates: whatever it calls public is global unicast, and so is every
// IPv4 address it carries; an IPv4 address and its mapped, NAT64 and 6to4
// forms are judged alike.
func FuzzPublicAddr(f *testing.F) {
	for _, c := range addrCases {
		ip := netip.MustParseAddr(c.addr).WithZone("")
		f.Add(ip.AsSlice())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ip, ok := netip.AddrFromSlice(raw)
		if !ok {
			return
		}
		if !publicAddr(ip) {
			if ip.Is4() {
				b := ip.As4()
				for _, form := range []netip.Addr{netip.AddrFrom16(ip.As16()),
					netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 10: 0, 11: 0, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}),
					netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3], 15: 1})} {
					if publicAddr(form) {
						t.Fatalf("%s is refused but its form %s is public", ip, form)
					}
				}
			}
			return
		}
		if !stdPublic(ip) {
			t.Fatalf("%s is called public but is not global unicast", ip)
		}
		if ip.Is4() {
			return
		}
		b := ip.As16()
		for _, e := range []struct {
			prefix string
			v4     [4]byte
		}{
			{"::ffff:0:0/96", [4]byte{b[12], b[13], b[14], b[15]}},
			{"::/96", [4]byte{b[12], b[13], b[14], b[15]}},
			{"64:ff9b::/96", [4]byte{b[12], b[13], b[14], b[15]}},
			{"64:ff9b:1::/48", [4]byte{b[6], b[7], b[9], b[10]}},
			{"64:ff9b:1::/48", [4]byte{b[7], b[9], b[10], b[11]}},
			{"64:ff9b:1::/48", [4]byte{b[9], b[10], b[11], b[12]}},
			{"64:ff9b:1::/48", [4]byte{b[12], b[13], b[14], b[15]}},
			{"2002::/16", [4]byte{b[2], b[3], b[4], b[5]}},
			{"2001::/32", [4]byte{b[4], b[5], b[6], b[7]}},
			{"2001::/32", [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}},
		} {
			if netip.MustParsePrefix(e.prefix).Contains(ip) && !stdPublic(netip.AddrFrom4(e.v4)) {
				t.Fatalf("%s is called public but carries %s", ip, netip.AddrFrom4(e.v4))
			}
		}
		if ip.Is4In6() && !publicAddr(ip.Unmap()) {
			t.Fatalf("%s and %s are judged differently", ip, ip.Unmap())
		}
	})
}

// stdPublic is the standard library's idea of a global unicast address.
func stdPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!ip.IsMulticast() && !ip.IsUnspecified() && !ip.IsInterfaceLocalMulticast()
}
