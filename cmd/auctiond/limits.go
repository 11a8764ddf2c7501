package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/ratelimit"
	"github.com/bidcast/bidcast/sfu"
)

// limitsEnv documents the per-client limits; the README mirrors it.
var limitsEnv = []envSpec{
	{"WS_CONNS_PER_USER", "16", "open WebSockets per user over all nodes; 0: no cap"},
	{"WS_CONNS_PER_ADDR", "50", "open WebSockets per client address (IPv6: per /64) over all nodes, sellers and admins not counted; 0: no cap"},
	{"WHEP_SESSIONS_PER_USER", "8", "WHEP viewer sessions per signed-in user over all nodes; 0: no cap"},
	{"WHEP_SESSIONS_PER_ADDR", "20", "WHEP viewer sessions per client address (IPv6: per /64) over all nodes; 0: no cap"},
	{"WHIP_WHEP_RATE", "60", "WHIP and WHEP offers (POSTs) per client address per minute; 0: no limit"},
	{"CLIENT_LIMITS_DISABLED", "false", "turn the four caps and the WHIP/WHEP rate off (load tests from one address)"},
}

// clientLimits are the per-client caps and rates of the WebSocket gateway
// and of WHIP/WHEP. A negative value means no cap.
type clientLimits struct {
	// ClientIP names a request's client from TRUSTED_PROXIES.
	ClientIP     clientip.Resolver
	WSPerUser    int
	WSPerAddr    int
	WHEPPerUser  int
	WHEPPerAddr  int
	OffersPerMin int
	// keyPrefix, when set, starts the Redis keys of all these limits in
	// place of their defaults; tests give each server its own.
	keyPrefix string
}

// wsPrefix starts the Redis keys of the WebSocket caps ("": the gateway's
// default).
func (l clientLimits) wsPrefix() string {
	if l.keyPrefix == "" {
		return ""
	}
	return l.keyPrefix + "ws:"
}

// mediaPrefix starts the Redis keys of the WHIP/WHEP limits.
func (l clientLimits) mediaPrefix() string {
	if l.keyPrefix == "" {
		return "bidcast:media:"
	}
	return l.keyPrefix + "media:"
}

// limitsConfig reads the per-client limits from the environment (the
// client address, TRUSTED_PROXIES, is read with the main settings).
func limitsConfig(getenv func(string) string) (clientLimits, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range limitsEnv {
			if s.name == name {
				return s.def
			}
		}
		return ""
	}
	var errs []error
	var l clientLimits
	off := envBool(get("CLIENT_LIMITS_DISABLED"))
	for _, f := range []struct {
		name string
		dst  *int
	}{{"WS_CONNS_PER_USER", &l.WSPerUser}, {"WS_CONNS_PER_ADDR", &l.WSPerAddr},
		{"WHEP_SESSIONS_PER_USER", &l.WHEPPerUser}, {"WHEP_SESSIONS_PER_ADDR", &l.WHEPPerAddr},
		{"WHIP_WHEP_RATE", &l.OffersPerMin}} {
		v := get(f.name)
		n, err := strconv.Atoi(strings.TrimSpace(v))
		switch {
		case err != nil || n < 0 || n > 1_000_000:
			errs = append(errs, fmt.Errorf("%s %q: want a whole number from 0 (no cap) to 1000000", f.name, v))
		case n == 0 || off:
			*f.dst = -1
		default:
			*f.dst = n
		}
	}
	return l, errors.Join(errs...)
}

// mediaAdmission admits WHIP and WHEP offers: every offer is charged to its
// client address's rate, and a WHEP viewer also takes a slot under its
// address and, when signed in, under its user. Publishers take no slot:
// they are bounded by the room's publish token and the SFU's own publisher
// cap, never by viewers.
type mediaAdmission struct {
	limits clientLimits
	rate   *ratelimit.Window
	slots  *ratelimit.Slots
	auth   *auth.Service
	log    *slog.Logger
}

func newMediaAdmission(l clientLimits, rdb redis.UniversalClient, authSvc *auth.Service, log *slog.Logger) *mediaAdmission {
	return &mediaAdmission{limits: l, auth: authSvc, log: log,
		rate:  ratelimit.NewWindow(rdb, l.mediaPrefix()+"offers:", nil),
		slots: ratelimit.NewSlots(rdb, ratelimit.SlotsConfig{Prefix: l.mediaPrefix() + "whep:", Log: log})}
}

// Close stops the slots' heartbeat.
func (m *mediaAdmission) Close() { m.slots.Close() }

// admit implements sfu.Admission. A limiter that does not answer lets the
// offer through (logged), like every limit of the server.
func (m *mediaAdmission) admit(r *http.Request, _ string, publish bool) (func(), error) {
	addr := clientip.Bucket(m.limits.ClientIP.Addr(r))
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if m.limits.OffersPerMin > 0 && addr != "" {
		ok, retry, err := m.rate.Allow(ctx, addr, m.limits.OffersPerMin, time.Minute)
		if err != nil {
			m.log.Warn("WHIP/WHEP rate limiter unavailable; letting the offer through", "err", err)
		} else if !ok {
			return nil, &sfu.LimitError{Reason: "too many offers from your address; retry later", RetryAfter: retry}
		}
	}
	if publish {
		return nil, nil
	}
	claims := []ratelimit.Claim{{Key: "addr:" + addr, Max: m.limits.WHEPPerAddr}}
	if addr == "" {
		claims = nil
	}
	if p, err := m.auth.Authenticate(r); err == nil && !p.Anonymous() {
		claims = append(claims, ratelimit.Claim{Key: "user:" + p.UserID, Max: m.limits.WHEPPerUser})
	}
	lease, err := m.slots.Acquire(ctx, claims...)
	var full *ratelimit.FullError
	switch {
	case errors.As(err, &full) && strings.HasPrefix(full.Key, "user:"):
		return nil, &sfu.LimitError{RetryAfter: 10 * time.Second,
			Reason: fmt.Sprintf("you already watch with %d sessions; end one first", full.Max)}
	case errors.As(err, &full):
		return nil, &sfu.LimitError{RetryAfter: 10 * time.Second,
			Reason: fmt.Sprintf("%d viewer sessions are already open from your network", full.Max)}
	case err != nil:
		m.log.Warn("WHEP session limiter unavailable; letting the viewer in", "err", err)
		return nil, nil
	}
	return lease.Release, nil
}
