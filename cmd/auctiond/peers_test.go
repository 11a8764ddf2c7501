package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// pionAPI is a WebRTC stack for in-process peers on loopback.
func pionAPI(t *testing.T) *webrtc.API {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me))
}

// gatheredOffer makes pc's offer with every ICE candidate in it.
func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP
}

// postSDP sends a WHIP or WHEP offer and returns the status and body.
func postSDP(t *testing.T, url, token, sdp string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(sdp))
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// publishVP8 publishes a synthetic VP8 stream to whipURL until the test
// ends or the returned stop is called: every frame is a keyframe, which is
// all the SFU needs to forward.
func publishVP8(t *testing.T, whipURL, token string) (stop func()) {
	t.Helper()
	pc, err := pionAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	status, answer := postSDP(t, whipURL, token, gatheredOffer(t, pc))
	if status != http.StatusCreated {
		t.Fatalf("WHIP publish: %d %s", status, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	halt := sendVP8(track)
	var once sync.Once
	stop = func() { once.Do(func() { halt(); pc.Close() }) }
	t.Cleanup(stop)
	return stop
}

// sendVP8 writes a synthetic VP8 frame to track every 33 ms until the
// returned halt is called (it waits for the writer to stop). Every frame is
// a keyframe (its first byte is 0), which is all the SFU needs to forward.
func sendVP8(track *webrtc.TrackLocalStaticSample) (halt func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		frame := make([]byte, 200) // first byte 0: a VP8 keyframe
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = track.WriteSample(pionmedia.Sample{Data: frame, Duration: 33 * time.Millisecond})
			}
		}
	}()
	return func() { cancel(); <-stopped }
}

// viewer is a receive-only peer.
type viewer struct {
	pc        *webrtc.PeerConnection
	connected chan struct{}
	video     chan struct{}
}

func newViewer(t *testing.T) *viewer {
	t.Helper()
	pc, err := pionAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	v := &viewer{pc: pc, connected: make(chan struct{}), video: make(chan struct{})}
	var once, vonce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(v.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if _, _, err := tr.ReadRTP(); err == nil {
			vonce.Do(func() { close(v.video) })
		}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	})
	return v
}

// answer applies the server's answer.
func (v *viewer) answer(t *testing.T, sdp string) {
	t.Helper()
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
}

// waitVideo waits until the viewer is connected and has received video.
func (v *viewer) waitVideo(t *testing.T, what string) {
	t.Helper()
	for _, ch := range []chan struct{}{v.connected, v.video} {
		select {
		case <-ch:
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: no connected video within 15 s", what)
		}
	}
}
