package testpattern

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// NewPeerAPI builds the Pion API the synthetic peers share (the test
// pattern publisher and the load test's WHEP viewers): UDP over IPv4, no
// mDNS, NACKs on (viewers recover loss the way browsers do), and
// loopback-only candidates when loopbackOnly is set (a target on the same
// machine).
func NewPeerAPI(loopbackOnly bool) (*webrtc.API, error) {
	return NewPeerAPIOn(loopbackOnly, nil)
}

// NewPeerAPIOn is NewPeerAPI with its sockets opened on n (nil: the
// system's network), such as a network that stamps what arrives.
func NewPeerAPIOn(loopbackOnly bool, n transport.Net) (*webrtc.API, error) {
	se := webrtc.SettingEngine{}
	if n != nil {
		se.SetNet(n)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if loopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		RTCPFeedback: fb,
	}}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register H.264: %w", err)
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
	}}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register Opus: %w", err)
	}
	ir := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, err
	}
	resp, err := nack.NewResponderInterceptor()
	if err != nil {
		return nil, err
	}
	ir.Add(gen)
	ir.Add(resp)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir)), nil
}

// CompleteOffer creates an offer and waits until every candidate is in it.
func CompleteOffer(ctx context.Context, pc *webrtc.PeerConnection) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

// httpClient carries the WHIP/WHEP exchanges.
var httpClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// PostSDP performs a WHIP/WHEP POST and returns the answer and the session
// URL from Location.
func PostSDP(ctx context.Context, endpoint, token, offer string) (answer, location string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(offer))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("POST %s: %s: %s", endpoint, resp.Status, strings.TrimSpace(string(body)))
	}
	loc, err := resp.Location()
	if err != nil {
		return "", "", fmt.Errorf("POST %s: no Location: %w", endpoint, err)
	}
	return string(body), loc.String(), nil
}

// DeleteSession ends a WHIP/WHEP session; errors are not interesting at
// shutdown, so it reports none.
func DeleteSession(location string) {
	if location == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, location, nil)
	if err != nil {
		return
	}
	if resp, err := httpClient.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// WaitConnected blocks until pc is connected, failed or ctx ends.
func WaitConnected(ctx context.Context, pc *webrtc.PeerConnection) error {
	ch := make(chan webrtc.PeerConnectionState, 4)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		select {
		case ch <- s:
		default:
		}
	})
	if pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
		return nil
	}
	for {
		select {
		case s := <-ch:
			switch s {
			case webrtc.PeerConnectionStateConnected:
				return nil
			case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
				return fmt.Errorf("peer connection %s", s)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
