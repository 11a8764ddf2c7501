package loadtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testpattern"
)

// ViewerShared is what all viewers of a run share: the publisher's send
// log, the latency histograms (whole run and current sampling interval),
// whether to receive audio too, and, for the arrival latency, the
// histogram and how to build each viewer's own stamping WebRTC stack.
type ViewerShared struct {
	log             *sendLog
	Latency, Window *Histogram
	Audio           bool
	// Arrival is publisher send → datagram in the viewer's socket (see
	// arrivalTable); nil measures none.
	Arrival  *Histogram
	Loopback bool // the viewers' stacks offer loopback candidates only
}

// Viewer is one synthetic WHEP viewer.
type Viewer struct {
	ID       int
	pc       *webrtc.PeerConnection
	location string
	log      *sendLog
	sh       *ViewerShared
	arrivals *arrivalTable // nil without arrival stamps

	// Node is the index, in a failover run's node list, of the node the
	// viewer was sent to (-1 without one).
	Node int
	// lastAt is when the last packet came, on the send log's clock (0:
	// none yet), for failover.
	lastAt atomic.Int64

	PostAt      time.Time
	ConnectTime time.Duration // POST to ICE+DTLS connected
	FirstKey    time.Duration // POST to the first keyframe packet
	Err         error

	firstKeyCh chan struct{}
	keyOnce    sync.Once
	closeOnce  sync.Once
	measure    atomic.Bool // record latency only in the steady phase

	Packets   atomic.Int64
	Bytes     atomic.Int64
	Unmatched atomic.Int64
	// AudioPackets and AudioBytes count Opus received.
	AudioPackets atomic.Int64
	AudioBytes   atomic.Int64

	freeze freezeDetector // owned by the video reader

	// Sequence tracking, owned by the track reader; seen is a bitmap of the
	// last 65536 sequence numbers for loss accounting.
	mu      sync.Mutex
	started bool
	firstX  uint64 // extended seq of the first packet
	highX   uint64
	seen    [1024]uint64
	done    sync.WaitGroup
}

// StartViewer opens a WHEP session and returns once connected (or failed).
// Media is read on a goroutine until Close.
func StartViewer(ctx context.Context, api *webrtc.API, id int, endpoint, token string, sh *ViewerShared) *Viewer {
	v := &Viewer{ID: id, Node: -1, log: sh.log, sh: sh, firstKeyCh: make(chan struct{})}
	v.PostAt = time.Now()
	v.Err = v.start(ctx, api, endpoint, token)
	return v
}

func (v *Viewer) start(ctx context.Context, api *webrtc.API, endpoint, token string) error {
	if v.sh.Arrival != nil {
		// A stack of its own, so that its sockets stamp into its own table.
		t := &arrivalTable{}
		n, err := newArrivalNet(t)
		if err != nil {
			return err
		}
		if api, err = testpattern.NewPeerAPIOn(v.sh.Loopback, n); err != nil {
			return err
		}
		v.arrivals = t
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	v.pc = pc
	v.done.Add(1) // released by Close, so a track starting late is still waited for
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return fmt.Errorf("add video transceiver: %w", err)
	}
	if v.sh.Audio {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("add audio transceiver: %w", err)
		}
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		v.done.Add(1)
		defer v.done.Done()
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			v.readAudio(t)
			return
		}
		v.read(t)
	})
	offer, err := testpattern.CompleteOffer(ctx, pc)
	if err != nil {
		return err
	}
	v.PostAt = time.Now()
	answer, loc, err := testpattern.PostSDP(ctx, endpoint, token, offer)
	if err != nil {
		return err
	}
	v.location = loc
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("viewer answer: %w", err)
	}
	if err := testpattern.WaitConnected(ctx, pc); err != nil {
		return err
	}
	v.ConnectTime = time.Since(v.PostAt)
	return nil
}

// read consumes RTP without allocating per packet.
func (v *Viewer) read(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	ssrc := uint32(t.SSRC())
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		now := v.log.now()
		v.lastAt.Store(now)
		if n < 12 {
			continue
		}
		b := buf[:n]
		seq := binary.BigEndian.Uint16(b[2:4])
		off := 12 + 4*int(b[0]&0x0f)
		if b[0]&0x10 != 0 && n >= off+4 {
			off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:off+4]))
		}
		end := n
		if b[0]&0x20 != 0 {
			end -= int(b[n-1])
		}
		if off >= end {
			v.track(seq) // padding-only probe: counts for loss, not for media
			continue
		}
		payload := b[off:end]
		v.Packets.Add(1)
		v.Bytes.Add(int64(len(payload)))
		if isKeyframeStart(payload) {
			v.keyOnce.Do(func() {
				v.FirstKey = time.Since(v.PostAt)
				close(v.firstKeyCh)
			})
		}
		if v.measure.Load() {
			if at, ok := v.log.get(payload); ok {
				d := time.Duration(now - at)
				v.sh.Latency.Record(d)
				if v.sh.Window != nil {
					v.sh.Window.Record(d)
				}
				v.recordArrival(ssrc, seq, at)
			} else {
				v.Unmatched.Add(1)
			}
			if b[1]&0x80 != 0 { // marker: the frame's last packet
				v.mu.Lock()
				v.freeze.frame(time.Duration(now))
				v.mu.Unlock()
			}
		}
		v.track(seq)
	}
}

// recordArrival records the arrival latency of packet (ssrc, seq), sent
// at sentAt on the send log's clock, if its socket stamped it.
func (v *Viewer) recordArrival(ssrc uint32, seq uint16, sentAt int64) {
	if v.arrivals == nil { // set only when v.sh.Arrival is
		return
	}
	ns, ok := v.arrivals.get(ssrc, seq)
	if !ok {
		return
	}
	if d := ns - v.log.wall(sentAt); d >= 0 {
		v.sh.Arrival.Record(time.Duration(d))
	}
}

func (v *Viewer) track(seq uint16) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var x uint64
	if !v.started {
		v.started = true
		x = 1<<32 | uint64(seq) // room to go backwards
		v.firstX, v.highX = x, x
	} else {
		// Extend relative to the highest seen: forward up to 32767 ahead.
		d := int16(seq - uint16(v.highX))
		x = uint64(int64(v.highX) + int64(d))
		if x > v.highX {
			v.highX = x
		}
	}
	v.seen[(x>>6)&1023] |= 1 << (x & 63)
}

// SeqMark is a viewer's position, to count losses between two marks.
type SeqMark struct{ High uint64 }

// Mark returns the current highest extended sequence number.
func (v *Viewer) Mark() SeqMark {
	v.mu.Lock()
	defer v.mu.Unlock()
	return SeqMark{High: v.highX}
}

// Lost counts sequence numbers in (from, to] never received. The bitmap
// covers 65536 numbers, so windows must be shorter (7 minutes at 150 pps).
func (v *Viewer) Lost(from, to SeqMark) (expected, lost uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.started || to.High <= from.High {
		return 0, 0
	}
	lo := from.High + 1
	if lo < v.firstX {
		lo = v.firstX
	}
	if to.High-lo >= 65536 {
		lo = to.High - 65535
	}
	for x := lo; x <= to.High; x++ {
		if v.seen[(x>>6)&1023]&(1<<(x&63)) == 0 {
			lost++
		}
	}
	return to.High - lo + 1, lost
}

// WaitFirstKey waits for the first keyframe.
func (v *Viewer) WaitFirstKey(ctx context.Context) bool {
	select {
	case <-v.firstKeyCh:
		return true
	case <-ctx.Done():
		return false
	}
}

// HasFirstKey reports whether a keyframe arrived.
func (v *Viewer) HasFirstKey() bool {
	select {
	case <-v.firstKeyCh:
		return true
	default:
		return false
	}
}

// Measure turns latency recording on or off.
func (v *Viewer) Measure(on bool) { v.measure.Store(on) }

// Close ends the WHEP session and waits for the readers; it may be called
// more than once (a failover run closes a silent viewer before the run
// does).
func (v *Viewer) Close() {
	v.closeOnce.Do(func() {
		testpattern.DeleteSession(v.location)
		if v.pc != nil {
			_ = v.pc.Close()
			v.done.Done()
		}
	})
	v.done.Wait()
}

// readAudio counts Opus packets; their latency is not matched, since a
// tone's packets repeat byte for byte.
func (v *Viewer) readAudio(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		v.lastAt.Store(v.log.now())
		if n > 12 {
			v.AudioPackets.Add(1)
			v.AudioBytes.Add(int64(n - 12))
		}
	}
}

// Freezes returns the freezes seen while measuring and their total length.
func (v *Viewer) Freezes() (int, time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.freeze.count, v.freeze.total
}

// isKeyframeStart reports whether an H.264 payload begins an IDR picture
// (parameter sets in a STAP-A or single NAL, or the first IDR fragment).
func isKeyframeStart(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	switch p[0] & 0x1f {
	case 5, 7:
		return true
	case 24:
		return len(p) > 3 && p[3]&0x1f == 7
	case 28:
		return p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}
