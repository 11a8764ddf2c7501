package sfu

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/envconf"
)

// Env documents the SFU's environment variables (ConfigFromEnv reads them;
// `auctiond help` and the README list them).
var Env = []envconf.Var{
	{Name: "SFU_UDP_ADDR", Default: DefaultICEAddr, Help: "the one UDP address all ICE traffic shares (ICE UDP mux); loopback by default, \":8443\" for every interface"},
	{Name: "SFU_TCP_ADDR", Default: DefaultICEAddr, Help: "the one TCP address for ICE-TCP fallback; \"off\" disables it"},
	{Name: "SFU_PUBLIC_IPS", Default: "", Help: "comma-separated 1:1 NAT public IPs to advertise instead of the host's"},
	{Name: "SFU_ICE_SERVERS", Default: "", Help: "JSON list of STUN/TURN servers for clients: [{\"urls\":[\"turn:...\"],\"username\":\"u\",\"credential\":\"c\"}]"},
	{Name: "SFU_TURN_URLS", Default: "", Help: "comma-separated TURN URLs handed to clients with a credential minted per session, e.g. turn:turn.example.com:3478?transport=udp,turn:turn.example.com:3478?transport=tcp"},
	{Name: "SFU_TURN_SECRET", Default: "", Help: "the TURN server's shared secret (coturn static-auth-secret) the per-session credentials are signed with; required with SFU_TURN_URLS"},
	{Name: "SFU_TURN_TTL", Default: "5m", Help: "how long a minted TURN credential may start new relays (1s..24h); a running session keeps its relay"},
	{Name: "SFU_GOP_CACHE_BYTES", Default: "4194304", Help: "memory each live video layer may keep of the packets since its last keyframe, so a joining viewer starts at once (about 1.6 KB a packet); a longer group of pictures is not cached"},
	{Name: "SFU_LOOPBACK_CANDIDATES", Default: "false", Help: "offer 127.0.0.1 ICE candidates (local tests and load tests); always on while SFU_UDP_ADDR is a loopback address"},
	{Name: "PION_LOG_LEVEL", Default: "warn", Help: "least level of Pion's own ICE/DTLS messages that are logged: trace, debug, info, warn or error (debug when LOG_LEVEL=debug and this is unset); a peer's routine teardown messages are logged at debug"},
}

// ConfigFromEnv builds the SFU's configuration from the variables in Env,
// read through getenv (LOG_LEVEL=debug also lowers PION_LOG_LEVEL's
// default to debug), validated; every malformed value is reported, each
// naming its variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(envconf.WithDefaults(getenv, Env))
	cfg := Config{ICEUDPAddr: r.String("SFU_UDP_ADDR", ""), ICETCPAddr: r.String("SFU_TCP_ADDR", ""),
		PublicIPs: r.List("SFU_PUBLIC_IPS"), LoopbackCandidates: r.Bool("SFU_LOOPBACK_CANDIDATES", false),
		TURN: TURNConfig{URLs: r.List("SFU_TURN_URLS"), Secret: r.String("SFU_TURN_SECRET", ""),
			TTL: r.Duration("SFU_TURN_TTL", 0)}}
	if n := r.Size("SFU_GOP_CACHE_BYTES", 0); n > 1<<30 {
		r.Fail(fmt.Errorf("SFU_GOP_CACHE_BYTES %d: want at most 1 GiB", n))
	} else {
		cfg.GOPCacheBytes = int(n)
	}
	if raw := r.String("SFU_ICE_SERVERS", ""); raw != "" {
		var servers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		}
		if err := json.Unmarshal([]byte(raw), &servers); err != nil {
			r.Fail(fmt.Errorf("SFU_ICE_SERVERS: want a JSON list of {urls, username, credential}: %v", err))
		}
		for _, s := range servers {
			cfg.ICEServers = append(cfg.ICEServers, ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		}
	}
	switch t := cfg.TURN; {
	case len(t.URLs) > 0 && t.Secret == "":
		r.Fail(fmt.Errorf("SFU_TURN_SECRET is required with SFU_TURN_URLS"))
	case len(t.URLs) == 0 && t.Secret != "":
		r.Fail(fmt.Errorf("SFU_TURN_URLS is required with SFU_TURN_SECRET"))
	case t.TTL < time.Second || t.TTL > 24*time.Hour:
		r.Fail(fmt.Errorf("SFU_TURN_TTL %v: want 1s..24h", t.TTL))
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	pion := getenv("PION_LOG_LEVEL")
	if pion == "" && strings.EqualFold(getenv("LOG_LEVEL"), "debug") {
		pion = "debug"
	}
	switch strings.ToLower(pion) {
	case "trace":
		cfg.PionLogLevel = slog.LevelDebug - 4
	case "":
	default:
		var l slog.Level
		if err := l.UnmarshalText([]byte(pion)); err != nil {
			return Config{}, fmt.Errorf("PION_LOG_LEVEL %q: want trace, debug, info, warn or error", pion)
		}
		cfg.PionLogLevel = l
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
