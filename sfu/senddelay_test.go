package sfu

import (
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestDelayGroup(t *testing.T) {
	for _, c := range []struct {
		pos  uint16
		want string
	}{
		{0, "0"}, {1, "1"}, {2, "2-3"}, {3, "2-3"}, {4, "4-7"}, {7, "4-7"}, {8, "8-15"},
		{31, "16-31"}, {32, "32-63"}, {63, "32-63"}, {64, "64+"}, {1000, "64+"}, {65535, "64+"},
	} {
		if got := groupName(delayGroup(c.pos)); got != c.want {
			t.Errorf("position %d: group %q, want %q", c.pos, got, c.want)
		}
	}
}

func TestSendDelaySnapshot(t *testing.T) {
	var s sendDelay
	// 100 delta packets at position 0: 98 at 0.2 ms, one at 3.2 ms, one
	// far beyond the last bucket.
	for range 98 {
		s.record(false, 0, 200*time.Microsecond)
	}
	s.record(false, 0, 3200*time.Microsecond)
	s.record(false, 0, time.Second)
	// Keyframe packets at positions 40..49, 1 ms apart from 5 ms; a
	// negative delay (clock read across writers) counts as the first bucket.
	for i := range 10 {
		s.record(true, uint16(40+i), time.Duration(5+i)*time.Millisecond)
	}
	s.record(true, 1, -time.Millisecond)

	got := s.snapshot()
	want := []SendDelayStats{
		{Keyframe: false, Positions: "0", Packets: 100, P50: 500 * time.Microsecond, P90: 500 * time.Microsecond,
			P99: 3500 * time.Microsecond, Max: 128 * time.Millisecond},
		{Keyframe: true, Positions: "1", Packets: 1, P50: 500 * time.Microsecond, P90: 500 * time.Microsecond,
			P99: 500 * time.Microsecond, Max: 500 * time.Microsecond},
		{Keyframe: true, Positions: "32-63", Packets: 10, P50: 9500 * time.Microsecond, P90: 13500 * time.Microsecond,
			P99: 14500 * time.Microsecond, Max: 14500 * time.Microsecond},
	}
	if len(got) != len(want) {
		t.Fatalf("snapshot: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if (*sendDelay)(nil).snapshot() != nil {
		t.Error("a nil histogram (audio) has a snapshot")
	}
}

// TestSendDelayRecorded checks that forwarded video packets reach their
// track's histogram, keyframes and delta frames apart and by position, and
// that audio tracks have none.
func TestSendDelayRecorded(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		srv, hs, _ := newTestServer(t, nil)
		pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
		defer pub.close()
		pub.start(10)
		v, _ := viewWHEP(t, hs.URL, "room1", nil)
		defer v.close()
		waitFor(t, 10*time.Second, "100 packets", func() bool { return v.packets.Load() >= 100 })

		groups := map[SendDelayStats]bool{}
		waitFor(t, 5*time.Second, "keyframe and delta positions 0, 1, 2-3", func() bool {
			clear(groups)
			for _, tr := range srv.Stats()[0].Publisher.Tracks {
				if tr.Kind != "video" {
					if len(tr.SendDelay) != 0 {
						t.Fatalf("%s track has a send-delay histogram", tr.Kind)
					}
					continue
				}
				for _, g := range tr.SendDelay {
					if g.Packets == 0 || g.P50 == 0 || g.P50 > g.P90 || g.P90 > g.P99 || g.P99 > g.Max {
						t.Fatalf("implausible group %+v", g)
					}
					groups[SendDelayStats{Keyframe: g.Keyframe, Positions: g.Positions}] = true
				}
			}
			for _, key := range []bool{false, true} {
				for _, pos := range []string{"0", "1", "2-3"} {
					if !groups[SendDelayStats{Keyframe: key, Positions: pos}] {
						return false
					}
				}
			}
			return true
		})
		if len(groups) != 6 {
			t.Errorf("groups %v, want keyframe and delta at positions 0, 1, 2-3 only", groups)
		}
	})
	checkGoroutines(t, before)
}
