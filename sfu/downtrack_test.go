package sfu

import (
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// recordWriter is a TrackLocalWriter that records headers.
type recordWriter struct {
	seqs []uint16
	tss  []uint32
}

func (w *recordWriter) WriteRTP(h *rtp.Header, _ []byte) (int, error) {
	w.seqs = append(w.seqs, h.SequenceNumber)
	w.tss = append(w.tss, h.Timestamp)
	return 0, nil
}
func (w *recordWriter) Write(b []byte) (int, error) { return len(b), nil }

func testDownTrack(t *testing.T) (*downTrack, *recordWriter) {
	srv := &Server{cfg: Config{LatencyWarn: time.Duration(math.MaxInt64), SlowWrite: time.Hour}, epoch: time.Now(), log: testLogger(t)}
	f := &feed{srv: srv, kind: webrtc.RTPCodecTypeVideo}
	d := newDownTrack(srv, f, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 0, nil, nil)
	w := &recordWriter{}
	d.ws, d.ssrc, d.pt = w, 1, 96
	d.bound.Store(true)
	d.lastSeq, d.lastTS = 99, 1000
	return d, w
}

type step struct {
	src     *pubTrack
	seq     uint16
	ts      uint32
	kfStart bool
	recv    int64
	target  *pubTrack // set before the step when non-nil
	congest bool
}

func TestDownTrackRewriting(t *testing.T) {
	a, b := &pubTrack{rid: "a"}, &pubTrack{rid: "b"}
	tests := []struct {
		name     string
		steps    []step
		wantSeqs []uint16
		wantTSs  []uint32
	}{
		{
			name: "waits for a keyframe then numbers from lastSeq+1",
			steps: []step{
				{src: a, target: a, seq: 500, ts: 9000},
				{src: a, seq: 501, ts: 12000, kfStart: true},
				{src: a, seq: 502, ts: 15000},
			},
			wantSeqs: []uint16{100, 101},
			wantTSs:  []uint32{1000, 4000},
		},
		{
			name: "new publisher continues numbering on its keyframe",
			steps: []step{
				{src: a, target: a, seq: 500, ts: 9000, kfStart: true, recv: 0},
				{src: b, target: b, seq: 7, ts: 5, recv: 33333333},
				{src: b, seq: 8, ts: 5, kfStart: true, recv: 66666667},
				{src: b, seq: 9, ts: 3005, recv: 100000000},
			},
			wantSeqs: []uint16{100, 101, 102},
			wantTSs:  []uint32{1000, 7000, 10000},
		},
		{
			name: "congestion drops to the next keyframe without a gap",
			steps: []step{
				{src: a, target: a, seq: 10, ts: 0, kfStart: true},
				{src: a, seq: 11, ts: 3000, congest: true},
				{src: a, seq: 12, ts: 3000},
				{src: a, seq: 13, ts: 6000, kfStart: true},
			},
			wantSeqs: []uint16{100, 101},
			wantTSs:  []uint32{1000, 7000},
		},
		{
			name: "stale packet from before the epoch is dropped",
			steps: []step{
				{src: a, target: a, seq: 10, ts: 0, kfStart: true},
				{src: a, seq: 9, ts: 0},
				{src: a, seq: 11, ts: 0},
			},
			wantSeqs: []uint16{100, 101},
			wantTSs:  []uint32{1000, 1000},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, w := testDownTrack(t)
			for _, s := range tc.steps {
				if s.target != nil {
					d.target.Store(s.target)
				}
				if s.congest {
					d.congested.Store(true)
				}
				p := &packet{seq: s.seq, ts: s.ts, kfStart: s.kfStart, keyframe: s.kfStart, recv: s.recv, src: s.src}
				d.forward(p)
			}
			if len(w.seqs) != len(tc.wantSeqs) {
				t.Fatalf("wrote %v, want %v", w.seqs, tc.wantSeqs)
			}
			for i := range w.seqs {
				if w.seqs[i] != tc.wantSeqs[i] || w.tss[i] != tc.wantTSs[i] {
					t.Fatalf("wrote seq %v ts %v, want %v %v", w.seqs, w.tss, tc.wantSeqs, tc.wantTSs)
				}
			}
		})
	}
}

// slowWriter blocks like a viewer whose TCP window is full.
type slowWriter struct{ recordWriter }

func (w *slowWriter) WriteRTP(h *rtp.Header, b []byte) (int, error) {
	time.Sleep(3 * time.Millisecond)
	return w.recordWriter.WriteRTP(h, b)
}

func TestSlowViewerSkipsToKeyframe(t *testing.T) {
	d, _ := testDownTrack(t)
	d.srv.cfg.SlowWrite = time.Millisecond
	w := &slowWriter{}
	d.ws = w
	a := &pubTrack{rid: "a", video: true}
	a.closed.Store(true) // no publisher to send the keyframe request to
	d.target.Store(a)
	for i, key := range []bool{true, false, false, true} {
		d.forward(&packet{seq: uint16(i), ts: uint32(i) * 3000, kfStart: key, src: a})
	}
	// Packet 0 blocks, so 1 and 2 are skipped; 3 is a keyframe and is sent.
	if len(w.seqs) != 2 || d.st.slowWrites.Load() != 2 {
		t.Fatalf("wrote %v with %d slow writes, want 2 packets (0 and 3)", w.seqs, d.st.slowWrites.Load())
	}
}

// batchedSlowWriter takes long (the writer goroutine descheduled) but its
// datagram goes into the writer's UDP batch, as Pion's write does.
type batchedSlowWriter struct {
	recordWriter
	c   *batchConn
	dst netip.AddrPort
}

func (w *batchedSlowWriter) WriteRTP(h *rtp.Header, b []byte) (int, error) {
	time.Sleep(3 * time.Millisecond)
	raw, err := (&rtp.Packet{Header: *h, Payload: b}).Marshal()
	if err != nil {
		return 0, err
	}
	if _, err := w.c.WriteToAddrPort(raw, w.dst); err != nil {
		return 0, err
	}
	return w.recordWriter.WriteRTP(h, b)
}

// TestSlowBatchedWriteIsNotSlowViewer: a write that only went into the
// UDP batch cannot have blocked on the socket, so taking long (a busy
// machine) must not skip the viewer to a keyframe.
func TestSlowBatchedWriteIsNotSlowViewer(t *testing.T) {
	d, _ := testDownTrack(t)
	d.srv.cfg.SlowWrite = time.Millisecond
	c := newBatchConn(listenLoopback(t), 1, false)
	rx := listenLoopback(t)
	d.srv.tr = &transport{batch: c}
	d.srv.tr.routeSSRC(d.ssrc, d.writer)
	w := &batchedSlowWriter{c: c, dst: rx.LocalAddr().(*net.UDPAddr).AddrPort()}
	d.ws = w
	a := &pubTrack{rid: "a", video: true}
	a.closed.Store(true)
	d.target.Store(a)
	d.srv.tr.beginBatch(d.writer)
	for i, key := range []bool{true, false, false} {
		d.forward(&packet{seq: uint16(i), ts: uint32(i) * 3000, kfStart: key, src: a})
	}
	d.srv.tr.endBatch(d.writer)
	if len(w.seqs) != 3 || d.st.slowWrites.Load() != 0 {
		t.Fatalf("wrote %v with %d slow writes, want 3 packets and none slow", w.seqs, d.st.slowWrites.Load())
	}
}
