package sfu

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// nopWriter stands in for Pion's SRTP write stream so the benchmark
// measures only the SFU's own forwarding work.
type nopWriter struct{}

func (nopWriter) WriteRTP(*rtp.Header, []byte) (int, error) { return 0, nil }
func (nopWriter) Write(b []byte) (int, error)               { return len(b), nil }

// BenchmarkForward measures the hot path from a parsed publisher packet to
// every viewer's rewritten write: classification, the retransmission ring,
// the keyframe cache, the fan-out to the writer pool and per-viewer
// rewriting. Run with -benchmem: it must report 0 allocs/op.
func BenchmarkForward(b *testing.B) {
	for _, viewers := range []int{1, 200} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
			srv := &Server{
				cfg: Config{LatencyWarn: time.Duration(math.MaxInt64), SlowWrite: time.Hour, NACKBufferVideo: 1024,
					KeyframeCacheMaxAge: time.Second, PLIInterval: time.Hour, WriterQueue: 1024},
				epoch: time.Now(),
				log:   testLogger(b),
			}
			srv.writers = make([]*writer, 2)
			var wg sync.WaitGroup
			for i := range srv.writers {
				w := &writer{ch: make(chan writeJob, 1024)}
				srv.writers[i] = w
				wg.Add(1)
				go func() { defer wg.Done(); w.run() }()
			}
			f := newFeed(srv, webrtc.RTPCodecTypeVideo)
			codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}
			t := &pubTrack{srv: srv, feed: f, video: true, h264: true, codec: codec,
				nack: newNACKBuffer(1024), gop: gopCache{limit: 4 << 20}}
			f.layers.Store(&[]*pubTrack{t})
			for i := 0; i < viewers; i++ {
				d := newDownTrack(srv, f, codec, i%len(srv.writers), nil, nil)
				d.ws, d.ssrc, d.pt = nopWriter{}, uint32(i), 102
				d.bound.Store(true)
				f.attach(d)
			}
			// A keyframe start followed by delta packets, 1200-byte payloads.
			key := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102}, Payload: make([]byte, 1200)}
			key.Payload[0], key.Payload[1] = 0x7c, 0x85
			delta := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102}, Payload: make([]byte, 1200)}
			delta.Payload[0], delta.Payload[1] = 0x7c, 0x01
			keyRaw, _ := key.Marshal()
			deltaRaw, _ := delta.Marshal()

			b.ReportAllocs()
			b.SetBytes(int64(len(deltaRaw) * viewers))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				raw := deltaRaw
				if i%100 == 0 {
					raw = keyRaw
				}
				p := getPacket()
				n := copy(p.buf[:], raw)
				// Sequence number and timestamp patched in place.
				p.buf[2], p.buf[3] = byte(i>>8), byte(i)
				ts := uint32(i/5) * 3000
				p.buf[4], p.buf[5], p.buf[6], p.buf[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
				if !p.parse(n) {
					b.Fatal("parse")
				}
				t.handle(p)
				p.release()
				// Keep the queues from overflowing: wait when they fill.
				for len(srv.writers[0].ch) > 512 || len(srv.writers[1].ch) > 512 {
					time.Sleep(10 * time.Microsecond)
				}
			}
			for _, w := range srv.writers {
				for len(w.ch) > 0 {
					time.Sleep(time.Microsecond)
				}
			}
			b.StopTimer()
			for _, w := range srv.writers {
				close(w.ch)
			}
			wg.Wait()
			t.close()
		})
	}
}
