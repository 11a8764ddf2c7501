package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func request(peer string, xff ...string) *http.Request {
	r, _ := http.NewRequest("GET", "http://example.test/", nil)
	r.RemoteAddr = peer
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func TestAddr(t *testing.T) {
	proxies := "10.0.0.0/8, 192.0.2.7, 2001:db8:cafe::/48"
	tests := []struct {
		name    string
		trusted string
		peer    string
		xff     []string
		realIP  string
		want    string
	}{
		{"no proxies: header ignored", "", "203.0.113.9:5000", []string{"198.51.100.1"}, "", "203.0.113.9"},
		{"untrusted peer spoofs the header", proxies, "203.0.113.9:5000", []string{"198.51.100.1"}, "", "203.0.113.9"},
		{"untrusted peer spoofs X-Real-IP", proxies, "203.0.113.9:5000", nil, "198.51.100.1", "203.0.113.9"},
		{"trusted proxy, one hop", proxies, "10.1.2.3:443", []string{"198.51.100.1"}, "", "198.51.100.1"},
		{"client forged the first entry", proxies, "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.1"}, "", "198.51.100.1"},
		{"chain of trusted proxies", proxies, "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.1, 192.0.2.7, 10.9.9.9"}, "", "198.51.100.1"},
		{"chain over several header lines", proxies, "10.1.2.3:443", []string{"6.6.6.6", "198.51.100.1, 192.0.2.7"}, "", "198.51.100.1"},
		{"every hop trusted: the left-most", proxies, "10.1.2.3:443", []string{"10.4.4.4, 192.0.2.7"}, "", "10.4.4.4"},
		{"no header from a trusted proxy", proxies, "10.1.2.3:443", nil, "", "10.1.2.3"},
		{"X-Real-IP from a trusted proxy", proxies, "10.1.2.3:443", nil, "198.51.100.1", "198.51.100.1"},
		{"garbage X-Real-IP", proxies, "10.1.2.3:443", nil, "nonsense", "10.1.2.3"},
		{"X-Forwarded-For wins over X-Real-IP", proxies, "10.1.2.3:443", []string{"198.51.100.2"}, "198.51.100.1", "198.51.100.2"},
		{"garbage right-most hop stops at the peer", proxies, "10.1.2.3:443", []string{"198.51.100.1, unknown"}, "", "10.1.2.3"},
		{"garbage behind a trusted hop", proxies, "10.1.2.3:443", []string{"1.1.1.1, <script>, 192.0.2.7"}, "", "192.0.2.7"},
		{"garbage left of the client is never read", proxies, "10.1.2.3:443", []string{"%%%, 198.51.100.1"}, "", "198.51.100.1"},
		{"empty entries skipped", proxies, "10.1.2.3:443", []string{"198.51.100.1, , ,"}, "", "198.51.100.1"},
		{"hop with a port", proxies, "10.1.2.3:443", []string{"198.51.100.1:61000"}, "", "198.51.100.1"},
		{"IPv6 peer untrusted", proxies, "[2001:db8:beef::1]:443", []string{"198.51.100.1"}, "", "2001:db8:beef::1"},
		{"IPv6 trusted proxy", proxies, "[2001:db8:cafe::5]:443", []string{"2001:db8:1::9"}, "", "2001:db8:1::9"},
		{"bracketed IPv6 hop with port", proxies, "10.1.2.3:443", []string{"[2001:db8:1::9]:1234"}, "", "2001:db8:1::9"},
		{"bracketed IPv6 hop", proxies, "10.1.2.3:443", []string{"[2001:db8:1::9]"}, "", "2001:db8:1::9"},
		{"zone dropped", proxies, "10.1.2.3:443", []string{"fe80::1%eth0"}, "", "fe80::1"},
		{"IPv4-mapped peer is trusted as IPv4", proxies, "[::ffff:10.1.2.3]:443", []string{"198.51.100.1"}, "", "198.51.100.1"},
		{"IPv4-mapped hop unmapped", proxies, "10.1.2.3:443", []string{"::ffff:198.51.100.1"}, "", "198.51.100.1"},
		{"mapped trusted hop", proxies, "10.1.2.3:443", []string{"198.51.100.1, ::ffff:192.0.2.7"}, "", "198.51.100.1"},
		{"overlong hop", proxies, "10.1.2.3:443", []string{strings.Repeat("1", 100)}, "", "10.1.2.3"},
		{"peer without port", "", "203.0.113.9", nil, "", "203.0.113.9"},
		{"no IP peer", proxies, "@", []string{"198.51.100.1"}, "", ""},
		{"empty peer", "", "", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.trusted)
			req := request(tc.peer, tc.xff...)
			if tc.realIP != "" {
				req.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := r.String(req); got != tc.want {
				t.Fatalf("client of peer %s with %q = %q, want %q", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

func TestHopsAreBounded(t *testing.T) {
	r := mustParse(t, "10.0.0.0/8")
	hops := make([]string, 100)
	for i := range hops {
		hops[i] = "10.0.0.1"
	}
	hops[0] = "198.51.100.1"
	// More trusted hops than maxHops: the walk gives up at a trusted
	// address instead of reading all of them.
	got := r.String(request("10.1.1.1:1", strings.Join(hops, ",")))
	if got != "10.0.0.1" {
		t.Fatalf("client = %q, want the last trusted hop read", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
		n    int
	}{
		{"", true, 0},
		{" , ", true, 0},
		{"10.0.0.0/8", true, 1},
		{"10.1.2.3/8", true, 1}, // host bits are masked
		{"192.0.2.7, ::1, 2001:db8::/32", true, 3},
		{"::ffff:10.0.0.0/104", true, 1},
		{"::ffff:10.0.0.0/8", false, 0},
		{"10.0.0.0/33", false, 0},
		{"example.com", false, 0},
		{"fe80::1%eth0", false, 0},
		{"10.0.0.1,bogus", false, 0},
	}
	for _, tc := range tests {
		r, err := Parse(tc.spec)
		if (err == nil) != tc.ok || len(r.trusted) != tc.n {
			t.Errorf("Parse(%q) = %v, %v; want ok=%v with %d prefixes", tc.spec, r.trusted, err, tc.ok, tc.n)
		}
	}
	if r := mustParse(t, "::ffff:10.0.0.0/104"); !r.Trusts(netip.MustParseAddr("10.2.3.4")) {
		t.Error("a mapped prefix does not cover its IPv4 addresses")
	}
}

func TestBucket(t *testing.T) {
	tests := map[string]string{
		"198.51.100.1":         "198.51.100.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
	}
	for in, want := range tests {
		if got := Bucket(netip.MustParseAddr(in)); got != want {
			t.Errorf("Bucket(%s) = %s, want %s", in, got, want)
		}
	}
	if Bucket(netip.Addr{}) != "" {
		t.Error("the zero Addr has a bucket")
	}
}

// FuzzAddr feeds arbitrary X-Forwarded-For values through a trusted proxy:
// the answer is always the peer or an address literally present in the
// header, and from an untrusted peer always the peer.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "6.6.6.6, 198.51.100.1, 10.0.0.1", "[::1]:80, unknown",
		"::ffff:1.2.3.4", ",,,", "fe80::1%lo", "1.2.3.4:99999", "[", "10.0.0.1, 10.0.0.2"} {
		f.Add(s)
	}
	r := mustParse(f, "10.0.0.0/8, 2001:db8::/32")
	f.Fuzz(func(t *testing.T, xff string) {
		if got := r.Addr(request("203.0.113.9:1", xff)); got != netip.MustParseAddr("203.0.113.9") {
			t.Fatalf("untrusted peer: client %v", got)
		}
		got := r.Addr(request("10.0.0.9:1", xff))
		if !got.IsValid() {
			t.Fatalf("trusted peer: invalid client for %q", xff)
		}
		if got == netip.MustParseAddr("10.0.0.9") {
			return
		}
		for _, hop := range strings.Split(xff, ",") {
			if a, ok := parseHop(hop); ok && a == got {
				return
			}
		}
		t.Fatalf("client %v is neither the peer nor a hop of %q", got, xff)
	})
}

// mustParse is Parse for the constant lists of these tests.
func mustParse(t testing.TB, spec string) Resolver {
	t.Helper()
	r, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
