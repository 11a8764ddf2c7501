package sfu

import (
	"math"
	"testing"
	"time"
)

func TestPLIHistory(t *testing.T) {
	ms := func(n int) int64 { return int64(time.Duration(n) * time.Millisecond) }
	type ev struct {
		pli, key bool
		at       int64
	}
	tests := []struct {
		name   string
		events []ev
		now    int64
		want   bool
	}{
		{"nothing known", nil, ms(10_000), false},
		{"one answer is not enough", []ev{{pli: true, at: ms(1000)}, {key: true, at: ms(1100)}}, ms(5000), false},
		{"two answers in a row", []ev{{pli: true, at: ms(1000)}, {key: true, at: ms(1100)}, {pli: true, at: ms(3000)}, {key: true, at: ms(3050)}}, ms(5000), true},
		{"a throttled repeat does not restart the clock", []ev{{pli: true, at: ms(1000)}, {pli: true, at: ms(1400)}, {key: true, at: ms(1600)}, {pli: true, at: ms(3000)}, {key: true, at: ms(3050)}}, ms(5000), false},
		{"a late keyframe is no answer", []ev{{pli: true, at: ms(1000)}, {key: true, at: ms(1100)}, {pli: true, at: ms(3000)}, {key: true, at: ms(8300)}}, ms(9000), false},
		{"unanswered past the window, no keyframe yet", []ev{{pli: true, at: ms(1000)}, {key: true, at: ms(1100)}, {pli: true, at: ms(2000)}, {key: true, at: ms(2100)}, {pli: true, at: ms(4000)}}, ms(4600), false},
		{"still within the window", []ev{{pli: true, at: ms(1000)}, {key: true, at: ms(1100)}, {pli: true, at: ms(2000)}, {key: true, at: ms(2100)}, {pli: true, at: ms(4000)}}, ms(4300), true},
		{"once ignored, never trusted again", []ev{{pli: true, at: ms(0)}, {key: true, at: ms(8000)}, {pli: true, at: ms(9000)}, {key: true, at: ms(9050)}, {pli: true, at: ms(10_000)}, {key: true, at: ms(10_050)}, {pli: true, at: ms(11_000)}, {key: true, at: ms(11_050)}}, ms(12_000), false},
		{"keyframes without requests change nothing", []ev{{key: true, at: ms(100)}, {key: true, at: ms(200)}}, ms(1000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h pliHistory
			for _, e := range tc.events {
				if e.pli {
					h.sent(e.at)
				}
				if e.key {
					h.keyframe(e.at)
				}
			}
			if got := h.answers(tc.now); got != tc.want {
				t.Fatalf("answers = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReplayChoice: what a viewer joining a track's cache is given.
func TestReplayChoice(t *testing.T) {
	srv := &Server{cfg: Config{KeyframeCacheMaxAge: 500 * time.Millisecond, LatencyWarn: time.Duration(math.MaxInt64)},
		epoch: time.Now().Add(-time.Hour), log: testLogger(t)}
	trusted := func(tr *pubTrack) {
		for i := range pliAnswersToTrust {
			at := int64(time.Duration(i+1) * time.Second)
			tr.plis.sent(at)
			tr.plis.keyframe(at + int64(50*time.Millisecond))
		}
	}
	tests := []struct {
		name        string
		age         time.Duration // of the cached keyframe; <0: empty cache
		answers     bool
		wantReplay  bool
		wantSqueeze bool
		wantStale   bool
	}{
		{"empty cache", -1, false, false, false, true},
		{"fresh group replayed as it is", 200 * time.Millisecond, false, true, false, false},
		{"fresh group of a trusted publisher too", 200 * time.Millisecond, true, true, false, false},
		{"old group, publisher not known to answer: squeezed", 3 * time.Second, false, true, true, true},
		{"old group, publisher answers: wait for its keyframe", 3 * time.Second, true, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &pubTrack{srv: srv, video: true, gop: gopCache{limit: 100 * packetFootprint}}
			if tc.answers {
				trusted(tr)
			}
			if tc.age >= 0 {
				p := cachePacket(1, 0, true, srv.now()-int64(tc.age))
				tr.gop.add(p)
				p.release()
			}
			r, stale := tr.replayLocked()
			if (r != nil) != tc.wantReplay || stale != tc.wantStale || (r != nil && r.squeeze != tc.wantSqueeze) {
				t.Fatalf("replay %v (squeeze %v), stale %v; want replay %v squeeze %v stale %v",
					r != nil, r != nil && r.squeeze, stale, tc.wantReplay, tc.wantSqueeze, tc.wantStale)
			}
			if r != nil {
				r.release()
			}
			tr.gop.reset()
		})
	}
}
