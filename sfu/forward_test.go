package sfu

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// publishWHIP starts a fake publisher over WHIP and returns it with its
// session URL.
func publishWHIP(t *testing.T, hs string, room string, mime string, rids ...string) (*fakePublisher, string) {
	t.Helper()
	p := newFakePublisher(t, clientAPI(t, nil), mime, rids...)
	code, loc, body := post(t, hs+"/whip/"+room, "pub-secret", "application/sdp", localOffer(t, p.pc))
	if code != http.StatusCreated {
		p.close()
		t.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(t, p.pc, body)
	return p, loc
}

// viewWHEP starts a fake viewer over WHEP.
func viewWHEP(t *testing.T, hs, room string, drop *dropFactory) (*fakeViewer, string) {
	t.Helper()
	v := newFakeViewer(t, clientAPI(t, drop))
	code, loc, body := post(t, hs+"/whep/"+room, "", "application/sdp", localOffer(t, v.pc))
	if code != http.StatusCreated {
		v.close()
		t.Fatalf("WHEP: %d %s", code, body)
	}
	setAnswer(t, v.pc, body)
	return v, loc
}

func TestForwardToEveryViewer(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		srv, hs, _ := newTestServer(t, nil)
		pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
		defer pub.close()
		pub.probes = true // padding-only packets must not leave sequence gaps
		pub.start(60)

		var viewers []*fakeViewer
		for i := 0; i < 3; i++ {
			v, _ := viewWHEP(t, hs.URL, "room1", nil)
			viewers = append(viewers, v)
		}
		// One viewer through the Go API, as the WebSocket gateway does.
		gv := newFakeViewer(t, clientAPI(t, nil))
		answer, id, err := srv.Subscribe(context.Background(), "room1", localOffer(t, gv.pc))
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		setAnswer(t, gv.pc, answer)
		viewers = append(viewers, gv)

		for i, v := range viewers {
			select {
			case <-v.firstKey:
			case <-time.After(5 * time.Second):
				t.Fatalf("viewer %d got no keyframe", i)
			}
		}
		for i, v := range viewers {
			waitFor(t, 5*time.Second, "100 packets", func() bool { return v.packets.Load() >= 100 })
			if v.paddings.Load() == 0 {
				t.Errorf("viewer %d received no padding-only packets", i)
			}
			v.mu.Lock()
			if v.keyAt[0] != 0 {
				t.Errorf("viewer %d: first packet is not a keyframe start (first key at %d)", i, v.keyAt[0])
			}
			for j := 1; j < len(v.seqs); j++ {
				if v.seqs[j] != v.seqs[j-1]+1 {
					t.Errorf("viewer %d: sequence gap %d -> %d at packet %d of %d", i, v.seqs[j-1], v.seqs[j], j, len(v.seqs))
					break
				}
			}
			v.mu.Unlock()
		}
		st := srv.Stats()
		if len(st) != 1 || st[0].Publisher == nil || len(st[0].Subscribers) != 4 {
			t.Fatalf("stats: %+v", st)
		}
		if err := srv.CloseSession(id); err != nil {
			t.Fatal(err)
		}
		for _, v := range viewers {
			v.close()
		}
	})
	checkGoroutines(t, before)
}

func TestNACKRecoversLoss(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(60)
	drop := &dropFactory{every: 10}
	v, _ := viewWHEP(t, hs.URL, "room1", drop)
	defer v.close()
	waitFor(t, 10*time.Second, "300 packets", func() bool { return v.packets.Load() >= 300 })
	if drop.dropped.Load() == 0 {
		t.Fatal("nothing was dropped")
	}
	// Give the last NACKs time to be answered, then every sequence number
	// between the first and the last must have arrived.
	time.Sleep(300 * time.Millisecond)
	v.mu.Lock()
	got := map[uint16]bool{}
	for _, s := range v.seqs {
		got[s] = true
	}
	first, last := v.seqs[0], v.seqs[len(v.seqs)-1]
	v.mu.Unlock()
	missing := 0
	for s := first; s != last-20; s++ {
		if !got[s] {
			missing++
		}
	}
	var rtx uint64
	for _, r := range srv.Stats() {
		for _, s := range r.Subscribers {
			for _, dt := range s.Tracks {
				rtx += dt.Retransmitted
			}
		}
	}
	t.Logf("dropped %d, retransmitted %d, missing %d", drop.dropped.Load(), rtx, missing)
	if rtx == 0 || missing > 0 {
		t.Fatalf("loss not recovered: dropped %d, retransmitted %d, missing %d", drop.dropped.Load(), rtx, missing)
	}
}

func TestPLIThrottled(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(1000) // no periodic keyframes: only PLIs produce them
	var viewers []*fakeViewer
	for i := 0; i < 3; i++ {
		v, _ := viewWHEP(t, hs.URL, "room1", nil)
		defer v.close()
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		<-v.firstKey
	}
	base := pub.plis.Load()
	// Every viewer asks for a keyframe every 10 ms for 1.2 s: 360 requests.
	start := time.Now()
	for time.Since(start) < 1200*time.Millisecond {
		for _, v := range viewers {
			ssrc := uint32(v.pc.GetTransceivers()[0].Receiver().Track().SSRC())
			_ = v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(600 * time.Millisecond)
	got := pub.plis.Load() - base
	t.Logf("publisher received %d PLIs for 360 requests", got)
	if got < 2 || got > 5 {
		t.Fatalf("publisher received %d PLIs in 1.8 s, want 2..5 (one per 500 ms)", got)
	}
	var asks uint64
	for _, tr := range srv.Stats()[0].Publisher.Tracks {
		asks += tr.KeyframeAsks
	}
	if asks < 100 {
		t.Fatalf("only %d keyframe requests reached the track", asks)
	}
}

func TestCodecMismatch(t *testing.T) {
	_, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()

	// A viewer that only decodes VP8.
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(serverCodecs[2].params, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer(nil)
	code, _, body := post(t, hs.URL+"/whep/room1", "", "application/sdp", offer.SDP)
	if code != http.StatusNotAcceptable || !strings.Contains(body, "H264") {
		t.Fatalf("got %d %q, want 406 naming H264", code, body)
	}
}
