package main

import (
	"encoding/json"
	"fmt"
	"strings"

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
	get := withDefaults(getenv, sfuEnv)
	cfg := sfu.Config{ICEUDPAddr: get("SFU_UDP_ADDR"), ICETCPAddr: get("SFU_TCP_ADDR")}
	if ips := get("SFU_PUBLIC_IPS"); ips != "" {
		for _, ip := range strings.Split(ips, ",") {
			cfg.PublicIPs = append(cfg.PublicIPs, strings.TrimSpace(ip))
		}
	}
	if raw := get("SFU_ICE_SERVERS"); raw != "" {
		var servers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		}
		if err := json.Unmarshal([]byte(raw), &servers); err != nil {
			return sfu.Config{}, fmt.Errorf("SFU_ICE_SERVERS: want a JSON list of {urls, username, credential}: %v", err)
		}
		for _, s := range servers {
			cfg.ICEServers = append(cfg.ICEServers, sfu.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		}
	}
	switch v := get("SFU_LOOPBACK_CANDIDATES"); v {
	case "true", "1":
		cfg.LoopbackCandidates = true
	case "false", "0":
	default:
		return sfu.Config{}, fmt.Errorf("SFU_LOOPBACK_CANDIDATES %q: want true or false", v)
	}
	if err := cfg.Validate(); err != nil {
		return sfu.Config{}, err
	}
	return cfg, nil
}
