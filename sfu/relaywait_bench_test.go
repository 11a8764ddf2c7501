package sfu

import (
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// BenchmarkEdgeFirstFrame measures, on an edge relaying a room from its
// origin (two servers in this process, on loopback), the time from a WHEP
// viewer's offer (video and audio, as a browser's) to its first keyframe,
// for an H.264 publisher that sends video only and one that sends audio
// too. Each iteration starts a fresh pair of servers, so each is the first
// viewer of a new relay. Reported as first-key-ms (mean over b.N); run it
// with -benchtime 5x.
func BenchmarkEdgeFirstFrame(b *testing.B) {
	for _, audio := range []bool{false, true} {
		name := "video-only"
		if audio {
			name = "audio+video"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				total += edgeFirstFrame(b, audio)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "first-key-ms")
		})
	}
}

// edgeFirstFrame runs one origin, edge, publisher and viewer, and returns
// the viewer's offer-to-first-keyframe time.
func edgeFirstFrame(b *testing.B, audio bool) time.Duration {
	b.Helper()
	origin, ohs, _ := newTestServer(b, nil)
	edge, ehs, _ := newTestServer(b, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, time.Minute)
	pub := newFakePublisher(b, clientAPI(b, nil), webrtc.MimeTypeH264)
	defer pub.close()
	if audio {
		pub.addAudio(b)
	}
	if code, _, body := post(b, ohs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(b, pub.pc)); code != http.StatusCreated {
		b.Fatalf("WHIP: %d %s", code, body)
	} else {
		setAnswer(b, pub.pc, body)
	}
	pub.start(30)
	waitFor(b, 10*time.Second, "the publisher's video on the origin", func() bool {
		origin.mu.Lock()
		r := origin.rooms["room1"]
		origin.mu.Unlock()
		return r != nil && len(r.video.currentLayers()) > 0
	})
	v := newFakeViewer(b, clientAPI(b, nil), webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
	defer v.close()
	start := time.Now()
	code, _, body := post(b, ehs.URL+"/whep/room1", "", "application/sdp", localOffer(b, v.pc))
	if code != http.StatusCreated {
		b.Fatalf("WHEP on the edge: %d %s", code, body)
	}
	setAnswer(b, v.pc, body)
	waitFor(b, 10*time.Second, "the first keyframe on the edge", func() bool {
		select {
		case <-v.firstKey:
			return true
		default:
			return false
		}
	})
	return time.Since(start)
}
