package signaling

import "github.com/bidcast/bidcast/internal/envconf"

// Env documents the gateway's connection caps in the environment; the
// server's help and the README list them. CLIENT_LIMITS_DISABLED, which
// turns them off with auth's WHIP/WHEP limits, is documented with those
// (auth.MediaEnv).
var Env = []envconf.Var{
	{Name: "WS_CONNS_PER_USER", Default: "16", Help: "open WebSockets per user over all nodes; 0: no cap"},
	{Name: "WS_CONNS_PER_ADDR", Default: "50", Help: "open WebSockets per client address (IPv6: per /64) over all nodes, sellers and admins not counted; 0: no cap"},
}

// ConfigFromEnv reads the connection caps (Env) through getenv into a
// Config whose other fields keep their defaults: 0 and
// CLIENT_LIMITS_DISABLED mean no cap. Malformed values are errors naming
// their variables, all reported at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(envconf.WithDefaults(getenv, Env))
	off := r.Bool("CLIENT_LIMITS_DISABLED", false)
	c := Config{ConnsPerUser: r.Cap("WS_CONNS_PER_USER", 0, 1_000_000, off),
		ConnsPerAddr: r.Cap("WS_CONNS_PER_ADDR", 0, 1_000_000, off)}
	return c, r.Err()
}
