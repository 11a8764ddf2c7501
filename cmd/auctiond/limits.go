package main

import (
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/envconf"
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

// media is the WHIP/WHEP part of the limits, for auth's admission.
func (l clientLimits) media() auth.MediaLimits {
	m := auth.MediaLimits{ClientIP: l.ClientIP, OffersPerMin: l.OffersPerMin, ViewersPerUser: l.WHEPPerUser,
		ViewersPerAddr: l.WHEPPerAddr}
	if l.keyPrefix != "" {
		m.KeyPrefix = l.keyPrefix + "media:"
	}
	return m
}

// limitsConfig reads the per-client limits from the environment (the
// client address, TRUSTED_PROXIES, is read with the main settings).
func limitsConfig(getenv func(string) string) (clientLimits, error) {
	r := envconf.New(envconf.WithDefaults(getenv, vars(limitsEnv)))
	var l clientLimits
	off := r.Bool("CLIENT_LIMITS_DISABLED", false)
	for _, f := range []struct {
		name string
		dst  *int
	}{{"WS_CONNS_PER_USER", &l.WSPerUser}, {"WS_CONNS_PER_ADDR", &l.WSPerAddr},
		{"WHEP_SESSIONS_PER_USER", &l.WHEPPerUser}, {"WHEP_SESSIONS_PER_ADDR", &l.WHEPPerAddr},
		{"WHIP_WHEP_RATE", &l.OffersPerMin}} {
		// 0 is "no cap"; so is a malformed value, which Err reports.
		n := r.Int(f.name, 0, 0, 1_000_000)
		if n == 0 || off {
			n = -1
		}
		*f.dst = n
	}
	return l, r.Err()
}
