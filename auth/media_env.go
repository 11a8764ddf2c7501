package auth

import "github.com/bidcast/bidcast/internal/envconf"

// MediaEnv documents the WHIP/WHEP limits in the environment, and
// CLIENT_LIMITS_DISABLED, which turns them off with the WebSocket caps
// (signaling.Env); the server's help and the README list them.
var MediaEnv = []envconf.Var{
	{Name: "WHEP_SESSIONS_PER_USER", Default: "8", Help: "WHEP viewer sessions per signed-in user over all nodes; 0: no cap"},
	{Name: "WHEP_SESSIONS_PER_ADDR", Default: "20", Help: "WHEP viewer sessions per client address (IPv6: per /64) over all nodes; 0: no cap"},
	{Name: "WHIP_WHEP_RATE", Default: "60", Help: "WHIP and WHEP offers (POSTs) per client address per minute; 0: no limit"},
	{Name: "CLIENT_LIMITS_DISABLED", Default: "false", Help: "turn the four caps and the WHIP/WHEP rate off (load tests from one address)"},
}

// MediaLimitsFromEnv reads the WHIP/WHEP limits (MediaEnv) through getenv:
// 0 and CLIENT_LIMITS_DISABLED mean no cap. The client address
// (TRUSTED_PROXIES) is the caller's to set. Malformed values are errors
// naming their variables, all reported at once.
func MediaLimitsFromEnv(getenv func(string) string) (MediaLimits, error) {
	r := envconf.New(envconf.WithDefaults(getenv, MediaEnv))
	off := r.Bool("CLIENT_LIMITS_DISABLED", false)
	l := MediaLimits{OffersPerMin: r.Cap("WHIP_WHEP_RATE", 0, 1_000_000, off),
		ViewersPerUser: r.Cap("WHEP_SESSIONS_PER_USER", 0, 1_000_000, off),
		ViewersPerAddr: r.Cap("WHEP_SESSIONS_PER_ADDR", 0, 1_000_000, off)}
	return l, r.Err()
}
