package sfu

import (
	"strings"
	"time"
)

// Keyframe is the newest keyframe a room's publisher sent: the RTP payloads
// of its packets in order, enough to decode one picture (the lobby's live
// thumbnails are made from it).
type Keyframe struct {
	// MimeType is the video codec, "video/H264" or "video/VP8".
	MimeType string
	// Payloads are the RTP payloads of the keyframe's packets, in order.
	Payloads [][]byte
	// At is when its first packet arrived.
	At time.Time
}

// Keyframe returns the newest keyframe of the room's video, from the cache
// that starts joining viewers (no keyframe request is sent for it). It
// reports false when the room has no video publisher or no whole keyframe
// has arrived yet. Of several simulcast layers the first is used (the
// smallest picture is enough for a thumbnail).
func (s *Server) Keyframe(roomID string) (Keyframe, bool) {
	s.mu.Lock()
	r := s.rooms[roomID]
	s.mu.Unlock()
	if r == nil {
		return Keyframe{}, false
	}
	layers := r.video.currentLayers()
	if len(layers) == 0 {
		return Keyframe{}, false
	}
	t := layers[0]
	t.mu.Lock()
	pkts, at := t.gop.snapshot()
	t.mu.Unlock()
	defer func() {
		for _, p := range pkts {
			p.release()
		}
	}()
	if len(pkts) == 0 || !pkts[0].kfStart {
		return Keyframe{}, false
	}
	kf := Keyframe{MimeType: t.codec.MimeType, At: s.epoch.Add(time.Duration(at))}
	complete := false
	for i, p := range pkts {
		if i > 0 && p.seq != pkts[i-1].seq+1 {
			return Keyframe{}, false // a packet of it is missing
		}
		if p.ts != pkts[0].ts {
			complete = true // the next frame began: the keyframe is whole
			break
		}
		if !p.padding {
			kf.Payloads = append(kf.Payloads, append([]byte(nil), p.buf[p.payload:p.n]...))
		}
		if p.marker {
			complete = true
			break
		}
	}
	if !complete || len(kf.Payloads) == 0 || !strings.HasPrefix(strings.ToLower(kf.MimeType), "video/") {
		return Keyframe{}, false
	}
	return kf, true
}

// PublishingRooms lists the rooms whose video reaches this server: a
// publisher's, or (in a cluster) a relay's.
func (s *Server) PublishingRooms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, r := range s.rooms {
		if len(r.video.currentLayers()) > 0 {
			out = append(out, id)
		}
	}
	return out
}
