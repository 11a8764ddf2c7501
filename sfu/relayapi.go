package sfu

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

// A relay's peers do not use the server's shared ICE port. Every session
// through the shared port is told apart by its remote address, and all
// the sessions one node opens to another (one per relayed room and layer)
// would come from the same address to the same one: the origin, and this
// node, would hand one session's packets to another. A relay's peer
// therefore takes a port of its own (an ephemeral one: it only talks to
// the origin's ICE port, which answers where it was asked from).

// newRelayAPI builds the webrtc.API a relay's peers use: the server's
// codecs, header extensions, NACK generator and RTCP reports, on sockets
// of its own.
func newRelayAPI(cfg *Config) (*webrtc.API, error) {
	se := webrtc.SettingEngine{LoggerFactory: slogFactory{log: cfg.Logger, min: cfg.PionLogLevel}}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	se.SetIncludeLoopbackCandidate(cfg.LoopbackCandidates)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, 2*time.Second)
	// A node bound to one address (a private network, loopback) relays
	// from that address too.
	if host, _, err := net.SplitHostPort(cfg.ICEUDPAddr); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			se.SetIPFilter(func(c net.IP) bool { return c.Equal(ip) })
		}
	}

	me, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	// Losses on the way from the origin are asked for again (the origin
	// answers from its ring); the edge answers its own viewers from its own.
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, fmt.Errorf("nack generator: %w", err)
	}
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir)), nil
}

// newRelayPeer returns a peer for a relay, on a port of its own.
func (l *relayLink) newRelayPeer() (*webrtc.PeerConnection, error) {
	pc, err := l.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new relay peer connection: %w", err)
	}
	return pc, nil
}
