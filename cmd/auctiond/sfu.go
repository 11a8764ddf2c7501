package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
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
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range sfuEnv {
			if s.name == name {
				return s.def
			}
		}
		return ""
	}
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

// roomMediaAuth lets the SFU ask the database who may publish and watch.
type roomMediaAuth struct {
	rooms *storage.Rooms
	auth  *auth.Service
}

var _ sfu.Authorizer = roomMediaAuth{}

// AuthorizePublish accepts the room's current publish token.
func (a roomMediaAuth) AuthorizePublish(ctx context.Context, roomID, token string) error {
	if token == "" {
		return fmt.Errorf("%w: publishing needs the room's publish token as a Bearer token", sfu.ErrUnauthorized)
	}
	ok, err := a.rooms.CheckPublishToken(ctx, roomID, token)
	if errors.Is(err, storage.ErrNotFound) {
		return sfu.ErrRoomNotFound
	}
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: that is not this room's publish token", sfu.ErrForbidden)
	}
	room, err := a.rooms.Get(ctx, roomID)
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return fmt.Errorf("%w: the show has ended", sfu.ErrForbidden)
	}
	return nil
}

// AuthorizeView lets anyone watch a public room that has not ended, and a
// private one whoever auth's view rule admits by bearer: a viewer token for
// the room, or the session of its seller or an admin.
func (a roomMediaAuth) AuthorizeView(ctx context.Context, roomID, token string) error {
	room, err := a.rooms.Get(ctx, roomID)
	if errors.Is(err, storage.ErrNotFound) {
		return sfu.ErrRoomNotFound
	}
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return fmt.Errorf("%w: the show has ended", sfu.ErrRoomNotFound)
	}
	switch err := a.auth.CanViewBearer(ctx, auth.RoomOf(room), token); {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrUnauthorized):
		return fmt.Errorf("%w: this room is private; a viewer token is required", sfu.ErrUnauthorized)
	case errors.Is(err, auth.ErrUnavailable):
		return err
	default:
		return fmt.Errorf("%w: this token does not admit you to this room", sfu.ErrForbidden)
	}
}
