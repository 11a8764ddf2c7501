package signaling

import (
	"errors"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/envconf"
)

// Env documents the gateway's connection caps and event pacing in the
// environment; the server's help and the README list them. CLIENT_LIMITS_DISABLED, which
// turns them off with auth's WHIP/WHEP limits, is documented with those
// (auth.MediaEnv).
var Env = []envconf.Var{
	{Name: "WS_CONNS_PER_USER", Default: "16", Help: "open WebSockets per user over all nodes; 0: no cap"},
	{Name: "WS_CONNS_PER_ADDR", Default: "50", Help: "open WebSockets per client address (IPv6: per /64) over all nodes, sellers and admins not counted; 0: no cap"},
	{Name: "WS_EVENT_INTERVAL", Default: DefaultEventInterval.String(), Help: "while room events keep coming, a connection gets at most one message of them per interval (a room.events list); its own bid outcomes go at once; 0: every event as it comes"},
}

// ConfigFromEnv reads the connection caps and the event interval (Env)
// through getenv into a Config whose other fields keep their defaults: 0
// and CLIENT_LIMITS_DISABLED mean no cap, an interval of 0 none. Malformed
// values are errors naming their variables, all reported at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(envconf.WithDefaults(getenv, Env))
	off := r.Bool("CLIENT_LIMITS_DISABLED", false)
	c := Config{ConnsPerUser: r.Cap("WS_CONNS_PER_USER", 0, 1_000_000, off),
		ConnsPerAddr: r.Cap("WS_CONNS_PER_ADDR", 0, 1_000_000, off)}
	if strings.TrimSpace(r.String("WS_EVENT_INTERVAL", "")) == "0" {
		c.EventInterval = -1
	} else if c.EventInterval = r.Duration("WS_EVENT_INTERVAL", DefaultEventInterval); c.EventInterval > time.Minute {
		r.Fail(errors.New("WS_EVENT_INTERVAL must be at most 1m"))
	}
	return c, r.Err()
}
