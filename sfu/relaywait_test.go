package sfu

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestViewersWaitOnlyForSentKinds: a new viewer waits for the first packet
// of each kind the room's current publisher sends, and for nothing else: on
// an edge relaying a video-only room (the origin answers the relay's audio
// section without a track), and on a node whose earlier publisher sent
// audio and whose new one does not. The servers' media wait is an hour, so
// any wait for audio would hold Subscribe until its context ends.
func TestViewersWaitOnlyForSentKinds(t *testing.T) {
	long := func(c *Config) { c.mediaWait = time.Hour }
	for _, tc := range []struct {
		name  string
		audio bool // the publisher sends audio too
		relay bool // the viewer watches on an edge
		stale bool // an audio+video publisher had the room before
	}{
		{name: "edge, video only", relay: true},
		{name: "edge, audio and video", audio: true, relay: true},
		{name: "origin, video only after audio and video", stale: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin, ohs, _ := newTestServer(t, long)
			watch := origin
			if tc.relay {
				edge, _, _ := newTestServer(t, long)
				origin.SetCluster(&fakeCluster{}, 0)
				ec := &fakeCluster{}
				ec.set(ohs.URL)
				edge.SetCluster(ec, time.Minute)
				watch = edge
			}
			if tc.stale {
				// A viewer keeps the room (and its feeds' codecs) across
				// the change of publisher.
				old := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
				old.addAudio(t)
				publish(t, ohs.URL, old)
				old.start(30)
				v, _ := viewWHEP(t, ohs.URL, "room1", nil)
				defer v.close()
				waitFor(t, 10*time.Second, "media from the first publisher", func() bool { return v.packets.Load() > 0 })
				old.close()
				waitFor(t, 10*time.Second, "the first publisher to leave", func() bool { return !origin.Live("room1") })
			}
			pub := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
			if tc.audio {
				pub.addAudio(t)
			}
			publish(t, ohs.URL, pub)
			defer pub.close()
			pub.start(30)

			v := newFakeViewer(t, clientAPI(t, nil), webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
			defer v.close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			answer, _, err := watch.Subscribe(ctx, "room1", localOffer(t, v.pc))
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatal("Subscribe waited for a kind the publisher does not send")
			}
			setAnswer(t, v.pc, answer)
			waitFor(t, 10*time.Second, "the first keyframe", func() bool {
				select {
				case <-v.firstKey:
					return true
				default:
					return false
				}
			})
			t.Logf("first keyframe %v after the offer", time.Since(start).Round(time.Millisecond))
			if tc.audio {
				waitFor(t, 10*time.Second, "audio", func() bool { return v.audio.Load() > 0 })
			}
		})
	}
}

// publish sends p's offer to the WHIP endpoint of room1 at hs.
func publish(t *testing.T, hs string, p *fakePublisher) {
	t.Helper()
	code, _, body := post(t, hs+"/whip/room1", "pub-secret", "application/sdp", localOffer(t, p.pc))
	if code != 201 {
		p.close()
		t.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(t, p.pc, body)
}

// TestSendingKinds: which kinds an SDP says it sends, with and without
// asking for a track, as the origin's answer and a publisher's offer are read.
func TestSendingKinds(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
	section := func(kind, port string, attrs ...string) string {
		s := "m=" + kind + " " + port + " UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 X/90000\r\n"
		for _, a := range attrs {
			s += "a=" + a + "\r\n"
		}
		return s
	}
	for _, tc := range []struct {
		name            string
		sdp             string
		withTrack, bare string // kinds, "v" and "a", in order
	}{
		{"origin sends video, accepts audio", section("video", "9", "sendonly", "msid:s v", "ssrc:1 cname:x") +
			section("audio", "9", "sendonly"), "v", "va"},
		{"origin sends both", section("video", "9", "sendonly", "ssrc:1 cname:x") +
			section("audio", "9", "sendonly", "msid:s a"), "va", "va"},
		{"recvonly and inactive send nothing", section("video", "9", "recvonly", "msid:s v") +
			section("audio", "9", "inactive", "msid:s a"), "", ""},
		{"rejected section", section("video", "0", "sendonly", "msid:s v") + section("audio", "9", "sendrecv"), "", "a"},
		{"no direction is sendrecv", section("audio", "9", "msid:s a"), "a", "a"},
		{"the first active section of a kind counts", section("video", "9", "recvonly") +
			section("video", "9", "sendonly", "msid:s v"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := parseSDP(head + tc.sdp)
			if err != nil {
				t.Fatal(err)
			}
			short := func(kinds []webrtc.RTPCodecType) string {
				s := ""
				for _, k := range kinds {
					s += k.String()[:1]
				}
				return s
			}
			if got := short(sendingKinds(sd, true)); got != tc.withTrack {
				t.Errorf("with track: %q, want %q", got, tc.withTrack)
			}
			if got := short(sendingKinds(sd, false)); got != tc.bare {
				t.Errorf("without: %q, want %q", got, tc.bare)
			}
		})
	}
}
