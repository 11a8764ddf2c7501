package loadtest

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CheckTarget refuses a base URL whose host is not loopback unless the host
// is listed in allowRemote, so a mistyped flag cannot load a real server.
func CheckTarget(base string, allowRemote []string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http(s) URL", base)
	}
	host := u.Hostname()
	for _, a := range allowRemote {
		if strings.EqualFold(strings.TrimSpace(a), host) {
			return u, nil
		}
	}
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("target host %q is not loopback; name it in -allow-host to load it", host)
	}
	return u, nil
}

// httpClient is the load test's HTTP client for its API calls, logins and
// WebSocket dials: one pool of connections to the target.
var httpClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
