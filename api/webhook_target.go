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
// every connection, on the address actually dialled (because DNS can
// answer differently later: DNS rebinding). publicAddr says which
// addresses are allowed.
type targetPolicy struct {
	allowPrivate bool
	// lookup resolves host names; see WebhookConfig.LookupNetIP (nil
	// means the system's resolver).
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// newTargetPolicy returns the policy cfg asks for.
func newTargetPolicy(cfg WebhookConfig) targetPolicy {
	return targetPolicy{allowPrivate: cfg.AllowPrivateTargets, lookup: cfg.LookupNetIP}
}

// Errors of the connect-time check. They reach the operator's logs with the
// host name; the delivery log a seller reads shows only deliveryFailure's
// summary, never an address.
var (
	errPrivateTarget = errors.New("webhook target resolves to a private address")
	errUnresolved    = errors.New("webhook target does not resolve")
)

// errTargetRefused is the one answer for a URL whose host is not allowed,
// whatever the reason: a private literal, a name that resolves to a
// private address, or one that does not resolve. One message for all, and
// no address in it, so that registration cannot be used to read the
// server's DNS (which internal names exist, and where they point).
func errTargetRefused() *Error {
	return invalid("url", "target address is not allowed or could not be resolved")
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
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return errTargetRefused()
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(ip) {
			return errTargetRefused()
		}
		return nil
	}
	// No top-level domain starts with a digit, so a name whose last label
	// does is a legacy numeric address ("127.1", "2130706433", "0x7f.1")
	// that some resolvers would turn into loopback.
	if last := host[strings.LastIndexByte(host, '.')+1:]; last == "" || (last[0] >= '0' && last[0] <= '9') {
		return errTargetRefused()
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := t.resolve(ctx, host); err != nil {
		return errTargetRefused()
	}
	return nil
}

// resolve returns host's addresses, each of them allowed by the policy, or
// an error wrapping errUnresolved or errPrivateTarget. A name with any
// private address is refused whole, so that no answer order can reach the
// private one.
func (t targetPolicy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !t.allowPrivate && !publicAddr(ip) {
			return nil, fmt.Errorf("check %s: %w", host, errPrivateTarget)
		}
		return []netip.Addr{ip}, nil
	}
	lookup := t.lookup
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: %w (%w)", host, errUnresolved, err)
	}
	if !t.allowPrivate {
		for _, ip := range addrs {
			if !publicAddr(ip) {
				return nil, fmt.Errorf("resolve %s: %w", host, errPrivateTarget)
			}
		}
	}
	return addrs, nil
}

// dial resolves the host with the policy's resolver, refuses private
// answers, and connects to the allowed addresses in turn. The dialer's
// Control checks the address once more as the socket connects.
func (t targetPolicy) dial(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portStr, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
		addrs, err := t.resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		port, err := net.LookupPort(network, portStr)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
		var last error
		for _, ip := range addrs {
			c, err := dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// client returns the HTTP client deliveries use: no proxy from the
// environment, no redirects (a redirect could lead anywhere; it counts as a
// failed delivery), and, unless private targets are allowed, a dialer that
// refuses private addresses at connect time.
func (t targetPolicy) client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !t.allowPrivate {
		dialer.Control = controlPublic
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         t.dial(dialer),
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// controlPublic is the dialer's last check, made on the address the
// socket is about to connect to, whatever resolved it.
func controlPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !publicAddr(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", address, errPrivateTarget)
	}
	return nil
}

// deliveryFailure is what a seller's delivery log says about an attempt
// that got no HTTP answer: a class of failure, never an address or a DNS
// answer (the full error goes to the operator's log).
func deliveryFailure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errPrivateTarget):
		return "target address is not allowed"
	case errors.Is(err, errUnresolved):
		return "target host could not be resolved"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timed out"
	default:
		return "could not connect or send the request"
	}
}
