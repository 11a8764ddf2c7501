package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// targetPolicy decides where webhooks may point. Without it a seller could
// register http://10.0.0.5/admin or http://169.254.169.254/ and make the
// server call into its own network (server-side request forgery). The
// check runs twice: when the URL is registered (for a clear error) and at
// every connection (because DNS can answer differently later).
type targetPolicy struct {
	allowPrivate bool
}

// checkURL validates a webhook URL as a client sends it.
func (t targetPolicy) checkURL(ctx context.Context, raw string) error {
	if len(raw) > 2048 {
		return invalid("url", "must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return invalid("url", "must be an absolute http or https URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("url", "must use http or https")
	case u.User != nil:
		return invalid("url", "must not carry credentials; authenticate deliveries by their signature")
	case u.Fragment != "":
		return invalid("url", "must not have a fragment")
	}
	if t.allowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return invalid("url", "must not point at this server or a private network")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(ip) {
			return invalid("url", "must not point at this server or a private network")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return invalid("url", "host %q does not resolve", host)
	}
	for _, ip := range addrs {
		if !publicAddr(ip) {
			return invalid("url", "must not point at this server or a private network")
		}
	}
	return nil
}

// publicAddr reports whether ip is a routable public address.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() &&
		!ip.IsLinkLocalUnicast() && !isSharedOrReserved(ip)
}

// isSharedOrReserved covers ranges IsPrivate misses: carrier-grade NAT
// (100.64/10), IETF protocol assignments (192.0.0/24) and benchmarking
// (198.18/15).
func isSharedOrReserved(ip netip.Addr) bool {
	for _, p := range []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("0.0.0.0/8"),
	} {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// errPrivateTarget is what the dialer returns for a forbidden address.
var errPrivateTarget = errors.New("webhook target resolves to a private address")

// client returns the HTTP client deliveries use: no proxy from the
// environment, no redirects (a redirect could lead anywhere; it counts as a
// failed delivery), and, unless private targets are allowed, a dialer that
// refuses private addresses at connect time.
func (t targetPolicy) client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !t.allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return fmt.Errorf("dial %s: %w", address, errPrivateTarget)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
