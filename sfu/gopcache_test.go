package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// cachePacket is a pooled packet holding one reference, as the reader has it.
func cachePacket(seq uint16, ts uint32, kfStart bool, recv int64) *packet {
	p := getPacket()
	p.seq, p.ts, p.kfStart, p.keyframe, p.recv = seq, ts, kfStart, kfStart, recv
	return p
}

func TestGOPCacheBoundsAndEviction(t *testing.T) {
	tests := []struct {
		name     string
		limit    int // in packets
		keys     []bool
		wantSeqs []uint16 // cached after all adds
	}{
		{"nothing before the first keyframe", 10, []bool{false, false, true, false}, []uint16{2, 3}},
		{"a keyframe evicts the previous group", 10, []bool{true, false, false, true, false}, []uint16{3, 4}},
		{"exactly at the bound is kept", 3, []bool{true, false, false}, []uint16{0, 1, 2}},
		{"over the bound drops the group whole", 3, []bool{true, false, false, false, false}, nil},
		{"the next keyframe starts again after an overflow", 3, []bool{true, false, false, false, true, false}, []uint16{4, 5}},
		{"a zero bound caches nothing", 0, []bool{true, false}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := gopCache{limit: tc.limit * packetFootprint}
			var all []*packet
			for i, key := range tc.keys {
				p := cachePacket(uint16(i), uint32(i)*3000, key, int64(i+1))
				c.add(p)
				all = append(all, p)
			}
			var got []uint16
			for _, p := range c.pkts {
				got = append(got, p.seq)
			}
			if len(got) != len(tc.wantSeqs) {
				t.Fatalf("cached %v, want %v", got, tc.wantSeqs)
			}
			for i := range got {
				if got[i] != tc.wantSeqs[i] {
					t.Fatalf("cached %v, want %v", got, tc.wantSeqs)
				}
			}
			if c.bytes != len(got)*packetFootprint || c.bytes > c.limit {
				t.Errorf("bytes = %d for %d packets, limit %d", c.bytes, len(got), c.limit)
			}
			// Every packet evicted was released: only the reader's
			// reference is left, and the cached ones hold one more.
			cached := map[*packet]bool{}
			for _, p := range c.pkts {
				cached[p] = true
			}
			for _, p := range all {
				want := int32(1)
				if cached[p] {
					want = 2
				}
				if r := p.refs.Load(); r != want {
					t.Errorf("packet %d holds %d references, want %d", p.seq, r, want)
				}
			}
			c.reset()
			for _, p := range all {
				if r := p.refs.Load(); r != 1 {
					t.Errorf("after reset packet %d holds %d references, want 1", p.seq, r)
				}
				p.release()
			}
		})
	}
}

func TestGOPCacheSnapshot(t *testing.T) {
	c := gopCache{limit: 100 * packetFootprint}
	if pkts, _ := c.snapshot(); pkts != nil {
		t.Fatalf("empty cache gave %d packets", len(pkts))
	}
	k := cachePacket(1, 0, true, 0) // a clock reading 0 still counts
	d := cachePacket(2, 3000, false, 5)
	c.add(k)
	c.add(d)
	pkts, at := c.snapshot()
	if len(pkts) != 2 || pkts[0] != k || at == 0 {
		t.Fatalf("snapshot = %d packets at %d", len(pkts), at)
	}
	r := &replay{pkts: pkts}
	r.release()
	c.reset()
	for _, p := range []*packet{k, d} {
		if n := p.refs.Load(); n != 1 {
			t.Errorf("packet %d holds %d references after replay and reset, want 1", p.seq, n)
		}
		p.release()
	}
}

func TestSqueezedTimestamps(t *testing.T) {
	tests := []struct {
		name string
		tss  []uint32
		want []int32 // per packet, relative to the newest frame
		base uint32
	}{
		{"one frame", []uint32{900, 900, 900}, []int32{0, 0, 0}, 900},
		{"frames one tick apart ending at the newest", []uint32{0, 0, 3000, 6000, 6000}, []int32{-2, -2, -1, 0, 0}, 6000},
		{"a retransmission cached late joins its frame", []uint32{0, 3000, 6000, 3000, 9000}, []int32{-3, -2, -1, -2, 0}, 9000},
		{"timestamps wrapping around", []uint32{0xffffe000, 0xfffff000, 0x00000800}, []int32{-2, -1, 0}, 0x800},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkts := make([]*packet, len(tc.tss))
			for i, ts := range tc.tss {
				pkts[i] = &packet{ts: ts}
			}
			m, base := squeezedTimestamps(pkts)
			if base != tc.base {
				t.Errorf("newest = %#x, want %#x", base, tc.base)
			}
			for i, p := range pkts {
				if got := int32(m[p.ts]); got != tc.want[i] {
					t.Errorf("packet %d (ts %#x) at %d, want %d", i, p.ts, got, tc.want[i])
				}
			}
		})
	}
}

// TestDownTrackSqueezedReplay replays an old group of pictures to a joining
// viewer: its frames must leave one tick apart ending where the live frames
// continue with their own spacing, sequence numbers without a gap, and a
// retransmission of a replayed packet must carry the timestamp it was first
// sent with.
func TestDownTrackSqueezedReplay(t *testing.T) {
	for _, squeeze := range []bool{false, true} {
		t.Run(map[bool]string{false: "fresh", true: "squeezed"}[squeeze], func(t *testing.T) {
			d, w := testDownTrack(t)
			a := &pubTrack{rid: "a", video: true, nack: newNACKBuffer(64)}
			d.target.Store(a)
			var cached []*packet
			// Frames at 0, 3000, 6000 (two packets each) cached; the live
			// packet continues frame 6000's successor.
			for i, ts := range []uint32{0, 0, 3000, 3000, 6000, 6000} {
				p := cachePacket(uint16(10+i), ts, i == 0, 1)
				p.src = a
				a.nack.put(p)
				cached = append(cached, p)
			}
			// The replay holds its own references, as a snapshot does.
			r := &replay{squeeze: squeeze}
			for _, p := range cached {
				p.retain()
				r.pkts = append(r.pkts, p)
			}
			d.replay.Store(r)
			live := cachePacket(16, 9000, false, 2)
			live.src = a
			a.nack.put(live)
			d.writeLive(live)

			wantSeq := []uint16{100, 101, 102, 103, 104, 105, 106}
			wantTS := []uint32{1000, 1000, 4000, 4000, 7000, 7000, 10000}
			if squeeze {
				wantTS = []uint32{7000 - 2, 7000 - 2, 7000 - 1, 7000 - 1, 7000, 7000, 10000}
			}
			if len(w.seqs) != len(wantSeq) {
				t.Fatalf("wrote %v, want %v", w.seqs, wantSeq)
			}
			for i := range wantSeq {
				if w.seqs[i] != wantSeq[i] || w.tss[i] != wantTS[i] {
					t.Fatalf("wrote seqs %v tss %v, want %v %v", w.seqs, w.tss, wantSeq, wantTS)
				}
			}
			// NACK for the second replayed frame's first packet.
			d.retransmit(102)
			if n := len(w.tss); w.seqs[n-1] != 102 || w.tss[n-1] != wantTS[2] {
				t.Fatalf("retransmitted seq %d ts %d, want 102 ts %d", w.seqs[n-1], w.tss[n-1], wantTS[2])
			}
			d.retransmit(106)
			if n := len(w.tss); w.seqs[n-1] != 106 || w.tss[n-1] != 10000 {
				t.Fatalf("retransmitted seq %d ts %d, want 106 ts 10000", w.seqs[n-1], w.tss[n-1])
			}
			live.release()
			a.nack.clear()
			for _, p := range cached {
				if r := p.refs.Load(); r != 1 {
					t.Errorf("packet %d holds %d references after the replay, want the test's 1", p.seq, r)
				}
				p.release()
			}
		})
	}
}

// TestLateViewerOfPLIDeafPublisher is the aiortc H.264 case in process: a
// publisher that sends a keyframe every 300 frames (10 s) and ignores PLI.
// A viewer joining seconds after the keyframe must start at once from the
// cached group of pictures, squeezed to the live edge.
func TestLateViewerOfPLIDeafPublisher(t *testing.T) {
	srv, hs, _ := newTestServer(t, func(c *Config) { c.KeyframeCacheMaxAge = 100 * time.Millisecond })
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.ignorePLI = true
	// The first keyframe must reach the server: it is the only one.
	waitFor(t, 5*time.Second, "the publisher connected", func() bool {
		return pub.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
	pub.start(300)
	// Wait until the cached group is older than KeyframeCacheMaxAge: the
	// old code then waited for the next keyframe, 10 s away.
	start := time.Now()
	waitFor(t, 5*time.Second, "an old group of pictures", func() bool {
		st := srv.Stats()
		return len(st) == 1 && st[0].Publisher != nil && len(st[0].Publisher.Tracks) > 0 &&
			st[0].Publisher.Tracks[0].Keyframes == 1 && time.Since(start) > 300*time.Millisecond
	})
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()
	select {
	case <-v.firstKey:
	case <-time.After(5 * time.Second):
		t.Fatal("the late viewer got no keyframe: the cache was not replayed")
	}
	waitFor(t, 5*time.Second, "live packets after the replay", func() bool { return v.packets.Load() > 150 })
}

// firstFrameStep returns the timestamp step between the first two frames a
// viewer received: 1 tick after a squeezed replay, a frame's 3000 otherwise.
func firstFrameStep(t *testing.T, v *fakeViewer) uint32 {
	t.Helper()
	var step uint32
	waitFor(t, 5*time.Second, "two frames", func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		for i := 1; i < len(v.tss); i++ {
			if v.tss[i] != v.tss[0] {
				step = v.tss[i] - v.tss[0]
				return true
			}
		}
		return false
	})
	return step
}

// TestLateViewerOfAnsweringPublisher: once a publisher has answered
// keyframe requests, a viewer joining an old group of pictures waits for the
// fresh keyframe instead of getting the old group as a burst (every cached
// group counts as old here: KeyframeCacheMaxAge 1 ns). TestReplayChoice
// covers the choice for publishers not yet known to answer.
func TestLateViewerOfAnsweringPublisher(t *testing.T) {
	srv, hs, _ := newTestServer(t, func(c *Config) { c.KeyframeCacheMaxAge = time.Nanosecond })
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	waitFor(t, 5*time.Second, "the publisher connected", func() bool {
		return pub.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
	pub.start(300) // a keyframe every 10 s unless asked
	var track *pubTrack
	waitFor(t, 5*time.Second, "the publisher's video", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if r := srv.rooms["room1"]; r != nil {
			if l := r.video.currentLayers(); len(l) > 0 {
				track = l[0]
			}
		}
		return track != nil
	})
	waitFor(t, 10*time.Second, "the publisher trusted", func() bool {
		track.requestKeyframe() // throttled to one a PLIInterval
		return track.plis.answers(srv.now())
	})
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()
	if got := firstFrameStep(t, v); got != 3000 {
		t.Errorf("viewer after the publisher answered: first frames %d ticks apart, want 3000 (no replay)", got)
	}
}
