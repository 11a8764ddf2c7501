package sfu

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestForwardCodecs(t *testing.T) {
	tests := []struct {
		name  string
		mime  string
		audio bool
	}{
		{"h264 with opus", webrtc.MimeTypeH264, true},
		{"vp8 video only", webrtc.MimeTypeVP8, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, hs, _ := newTestServer(t, nil)
			pub := newFakePublisher(t, clientAPI(t, nil), tc.mime)
			defer pub.close()
			if tc.audio {
				pub.addAudio(t)
			}
			code, _, body := post(t, hs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(t, pub.pc))
			if code != http.StatusCreated {
				t.Fatalf("WHIP: %d %s", code, body)
			}
			setAnswer(t, pub.pc, body)
			pub.start(30)

			v := newFakeViewer(t, clientAPI(t, nil), webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
			defer v.close()
			code, _, body = post(t, hs.URL+"/whep/room1", "", "application/sdp", localOffer(t, v.pc))
			if code != http.StatusCreated {
				t.Fatalf("WHEP: %d %s", code, body)
			}
			setAnswer(t, v.pc, body)
			select {
			case <-v.firstKey:
			case <-time.After(5 * time.Second):
				t.Fatal("no keyframe")
			}
			if tc.audio {
				waitFor(t, 5*time.Second, "audio", func() bool { return v.audio.Load() >= 10 })
			} else if strings.Contains(body, "opus") && strings.Contains(body, "a=sendonly\r\na=") && v.audio.Load() > 0 {
				t.Fatal("audio forwarded for a video-only publisher")
			}
		})
	}
}

func TestRenegotiateAddsAudio(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	ctx := context.Background()
	pub := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
	defer pub.close()
	answer, id, err := srv.Publish(ctx, "room1", localOffer(t, pub.pc))
	if err != nil {
		t.Fatal(err)
	}
	setAnswer(t, pub.pc, answer)
	pub.start(30)

	// The seller turns the microphone on: a new offer on the same session.
	pub.addAudio(t)
	answer, err = srv.Renegotiate(ctx, id, localOffer(t, pub.pc))
	if err != nil {
		t.Fatalf("Renegotiate: %v", err)
	}
	setAnswer(t, pub.pc, answer)
	waitFor(t, 5*time.Second, "audio track at the server", func() bool {
		st := srv.Stats()
		return len(st) == 1 && st[0].Publisher != nil && len(st[0].Publisher.Tracks) == 2
	})
	v := newFakeViewer(t, clientAPI(t, nil), webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
	defer v.close()
	_ = hs
	a, _, err := srv.Subscribe(ctx, "room1", localOffer(t, v.pc))
	if err != nil {
		t.Fatal(err)
	}
	setAnswer(t, v.pc, a)
	waitFor(t, 5*time.Second, "audio at the viewer", func() bool { return v.audio.Load() >= 5 })
	if _, err := srv.Renegotiate(ctx, "nope", "v=0"); err != ErrSessionNotFound {
		t.Fatalf("Renegotiate unknown session: %v", err)
	}
}

func TestTricklePatch(t *testing.T) {
	_, hs, _ := newTestServer(t, nil)
	pub, loc := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	patch := func(path, ctype, body string) int {
		req, _ := http.NewRequest(http.MethodPatch, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	frag := "a=ice-ufrag:abcd\r\na=ice-pwd:efgh\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
	tests := []struct {
		name, path, ctype, body string
		want                    int
	}{
		{"candidate", loc, "application/trickle-ice-sdpfrag", frag, http.StatusNoContent},
		{"wrong type", loc, "application/sdp", frag, http.StatusUnsupportedMediaType},
		{"bad candidate", loc, "application/trickle-ice-sdpfrag", "a=candidate:garbage\r\n", http.StatusBadRequest},
		{"other room", strings.Replace(loc, "room1", "room2", 1), "application/trickle-ice-sdpfrag", frag, http.StatusNotFound},
		{"whep url for a publisher", strings.Replace(loc, "/whip/", "/whep/", 1), "application/trickle-ice-sdpfrag", frag, http.StatusNotFound},
	}
	for _, tc := range tests {
		if got := patch(tc.path, tc.ctype, tc.body); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
