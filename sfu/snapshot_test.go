package sfu

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestKeyframeSnapshot publishes H.264 and VP8 into two rooms and checks
// that each room's newest keyframe can be read whole (the payloads its
// publisher sent, no more), that both rooms are listed as on air, and that
// an unknown room has none.
func TestKeyframeSnapshot(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	if _, ok := srv.Keyframe("room1"); ok {
		t.Fatal("a keyframe before anyone published")
	}
	for _, tc := range []struct{ room, mime string }{{"room1", webrtc.MimeTypeH264}, {"room2", webrtc.MimeTypeVP8}} {
		pub, _ := publishWHIP(t, hs.URL, tc.room, tc.mime)
		defer pub.close()
		pub.start(30)
		var kf Keyframe
		waitFor(t, 5*time.Second, tc.room+"'s keyframe", func() bool {
			var ok bool
			kf, ok = srv.Keyframe(tc.room)
			return ok
		})
		want := synthFrame(tc.mime, true, 0, 1000)
		if kf.MimeType != tc.mime || len(kf.Payloads) != len(want) || time.Since(kf.At) > 5*time.Second {
			t.Fatalf("%s: keyframe %s with %d payloads at %v, want %s with %d", tc.room, kf.MimeType,
				len(kf.Payloads), kf.At, tc.mime, len(want))
		}
		for i := range want {
			if !bytes.Equal(kf.Payloads[i][:2], want[i][:2]) {
				t.Errorf("%s: payload %d starts % x, want % x", tc.room, i, kf.Payloads[i][:2], want[i][:2])
			}
		}
	}
	rooms := srv.PublishingRooms()
	slices.Sort(rooms)
	if !slices.Equal(rooms, []string{"room1", "room2"}) {
		t.Errorf("rooms on air: %v", rooms)
	}
	if _, ok := srv.Keyframe("nowhere"); ok {
		t.Error("a keyframe of a room that does not exist")
	}
}
