package sfu

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// BenchmarkKeyframeBurst fans one keyframe out to 200 loopback viewers the
// way the writers do (direct SRTP into the writers' batches, GSO where the
// kernel has it), with nothing else of the SFU and no WebRTC receivers: the
// server's own share of a keyframe's forwarding latency (docs/PERFORMANCE.md,
// "The keyframe burst's tail"). One op is one burst: 22 packets of 1,000
// bytes (the load test clip's keyframe) to 200 sockets, split across
// GOMAXPROCS writers. The receivers are plain sockets drained by one
// goroutine each, so the kernel's receive side is paid as in the load test.
//
//   - jobs=N: each writer takes N packets per batch scope (writer.go's
//     maxJobsPerBatch is 8; 1 is packet-major: every packet goes to every
//     viewer, one sendmmsg, before the next; 22 is the whole frame, whose
//     datagrams to one viewer then leave in one or two GSO messages).
//   - floor: the same datagrams with one sendto each and no SRTP, from
//     the same writers: what udpfloor measures, as a burst.
//
// Metrics: ms/burst (the last datagram's send), and first_ms and p82_ms,
// when the first packet and the packet 82 % of the way through the frame
// had left for every viewer. The load test's p99 is about that packet: a
// keyframe is about 6 % of a GOP's 380 packets, so the slowest 1 % of all
// packets are roughly its last 18 %.
func BenchmarkKeyframeBurst(b *testing.B) {
	const viewers, packets, size = 200, 22, 1000
	rx := make([]*net.UDPConn, viewers)
	var drain sync.WaitGroup
	for i := range rx {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		rx[i] = c
		drain.Add(1)
		go func() {
			defer drain.Done()
			buf := make([]byte, 2048)
			for {
				if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
					return
				}
			}
		}()
	}
	defer func() {
		for _, c := range rx {
			_ = c.Close()
		}
		drain.Wait()
	}()
	for _, mode := range []string{"jobs=1", "jobs=2", "jobs=4", "jobs=8", "jobs=16", "jobs=22", "floor"} {
		b.Run(mode, func(b *testing.B) {
			var jobs int
			if _, err := fmt.Sscanf(mode, "jobs=%d", &jobs); err != nil {
				jobs = 0
			}
			benchBurst(b, rx, packets, size, jobs)
		})
	}
}

// benchBurst runs the bursts of one mode; jobs 0 is the sendto floor.
func benchBurst(b *testing.B, rx []*net.UDPConn, packets, size, jobs int) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	writers := runtime.GOMAXPROCS(0)
	c := newBatchConn(conn, writers, gsoSupported(conn))
	keys := &sessionKeys{profile: srtp.ProtectionProfileAeadAes128Gcm, key: make([]byte, 16), salt: make([]byte, 12)}
	shards := make([][]*directSRTP, writers)
	for i, r := range rx {
		ctx, err := keys.context()
		if err != nil {
			b.Fatal(err)
		}
		route := &directRoute{}
		dst := r.LocalAddr().(*net.UDPAddr).AddrPort()
		route.dst.Store(&dst)
		shards[i%writers] = append(shards[i%writers], &directSRTP{ctx: ctx, route: route})
	}
	payload := make([]byte, size)
	hdrs := make([]rtp.Header, len(rx))
	p82 := packets * 82 / 100
	var first, mid time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		done := make([][2]time.Duration, writers) // first and p82 packet out, per writer
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				shard := shards[w]
				for p0 := 0; p0 < packets; {
					n := packets - p0
					if jobs > 0 {
						n = min(n, jobs)
					}
					c.begin(w)
					for p := p0; p < p0+n; p++ {
						for i, x := range shard {
							h := &hdrs[i*writers+w]
							h.Version, h.PayloadType, h.SSRC = 2, 102, uint32(i*writers+w)
							h.SequenceNumber++
							if jobs == 0 {
								_, _ = conn.WriteToUDPAddrPort(payload, *x.route.dst.Load())
								continue
							}
							if err := x.write(c, w, h, payload); err != nil {
								b.Error(err)
								return
							}
						}
						if jobs == 0 {
							markBurst(&done[w], p, p82, time.Since(start))
						}
					}
					c.end(w)
					if jobs > 0 {
						for p := p0; p < p0+n; p++ {
							markBurst(&done[w], p, p82, time.Since(start))
						}
					}
					p0 += n
				}
			}()
		}
		wg.Wait()
		var f, m time.Duration
		for _, d := range done {
			f, m = max(f, d[0]), max(m, d[1])
		}
		first += f
		mid += m
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/burst")
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "first_ms")
	b.ReportMetric(float64(mid.Microseconds())/1000/float64(b.N), "p82_ms")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/float64(b.N*packets*len(rx)), "µs/datagram")
}

// markBurst notes when packet p of a burst had left for a writer's viewers.
func markBurst(d *[2]time.Duration, p, p82 int, at time.Duration) {
	switch p {
	case 0:
		d[0] = at
	case p82:
		d[1] = at
	}
}
