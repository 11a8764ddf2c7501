package main

import (
	"encoding/json"
	"fmt"

	"github.com/bidcast/bidcast/internal/envconf"
	"github.com/bidcast/bidcast/sfu"
)

// sfuEnv documents the SFU's environment variables; the README mirrors it.
var sfuEnv = []envSpec{
	{"SFU_UDP_ADDR", ":8443", "the one UDP address all ICE traffic shares (ICE UDP mux)"},
	{"SFU_TCP_ADDR", ":8443", "the one TCP address for ICE-TCP fallback; \"off\" disables it"},
	{"SFU_PUBLIC_IPS", "", "comma-separated 1:1 NAT public IPs to advertise instead of the host's"},
	{"SFU_ICE_SERVERS", "", "JSON list of STUN/TURN servers for clients: [{\"urls\":[\"turn:...\"],\"username\":\"u\",\"credential\":\"c\"}]"},
	{"SFU_LOOPBACK_CANDIDATES", "false", "offer 127.0.0.1 ICE candidates (local tests and load tests)"},
}

// sfuConfig builds the SFU's configuration from the environment.
func sfuConfig(getenv func(string) string) (sfu.Config, error) {
	r := envconf.New(withDefaults(getenv, sfuEnv))
	cfg := sfu.Config{ICEUDPAddr: r.String("SFU_UDP_ADDR", ""), ICETCPAddr: r.String("SFU_TCP_ADDR", ""),
		PublicIPs: r.List("SFU_PUBLIC_IPS"), LoopbackCandidates: r.Bool("SFU_LOOPBACK_CANDIDATES", false)}
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
			cfg.ICEServers = append(cfg.ICEServers, sfu.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		}
	}
	if err := r.Err(); err != nil {
		return sfu.Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return sfu.Config{}, err
	}
	return cfg, nil
}
