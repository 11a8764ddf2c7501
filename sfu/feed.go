package sfu

import (
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// feed is one kind of media (video or audio) of a room. It outlives
// publishers: viewers stay attached to the feed while the seller reconnects,
// and a new publisher's tracks become the feed's new layers.
type feed struct {
	srv    *Server
	kind   webrtc.RTPCodecType
	shards *shardSet

	mu     sync.Mutex // guards codec, dts and layer changes
	codec  *codecInfo // set by the first publisher; viewers negotiate it
	dts    map[*downTrack]struct{}
	layers atomic.Pointer[[]*pubTrack] // current publisher's streams
}

func newFeed(srv *Server, kind webrtc.RTPCodecType) *feed {
	return &feed{srv: srv, kind: kind, shards: newShardSet(len(srv.writers)), dts: map[*downTrack]struct{}{}}
}

func (f *feed) currentLayers() []*pubTrack {
	if p := f.layers.Load(); p != nil {
		return *p
	}
	return nil
}

// codecInfo returns the codec viewers must negotiate, or nil if no publisher
// ever announced this kind.
func (f *feed) codecInfo() *codecInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.codec
}

// setCodec records the publisher's codec. A later publisher with another
// codec replaces it for new viewers; existing viewers keep theirs and see no
// media until a compatible publisher returns (the SFU never transcodes).
func (f *feed) setCodec(c codecInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codec = &c
}

// addLayer makes t one of the feed's streams and points every viewer at the
// best layer, asking for a keyframe so they can start.
func (f *feed) addLayer(t *pubTrack) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.currentLayers()
	next := make([]*pubTrack, 0, len(cur)+1)
	next = append(next, cur...)
	next = append(next, t)
	sortLayers(next)
	f.layers.Store(&next)
	for dt := range f.dts {
		f.retargetLocked(dt)
	}
}

// removeLayer drops t when its reader ends.
func (f *feed) removeLayer(t *pubTrack) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.currentLayers()
	next := make([]*pubTrack, 0, len(cur))
	for _, l := range cur {
		if l != t {
			next = append(next, l)
		}
	}
	f.layers.Store(&next)
	for dt := range f.dts {
		if dt.target.Load() == t {
			f.retargetLocked(dt)
		}
	}
}

// attach adds a viewer's down track. It is started from the cached group of
// pictures of its layer (squeezed to the live edge when old), else from the
// next keyframe, which is requested when the cache is missing or old.
func (f *feed) attach(dt *downTrack) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dts[dt] = struct{}{}
	target := dt.choose(f.currentLayers())
	dt.target.Store(target)
	if target == nil {
		f.shards.add(dt.writer, dt)
		return
	}
	target.mu.Lock()
	r, stale := target.replayLocked()
	if r != nil {
		dt.replay.Store(r)
	}
	f.shards.add(dt.writer, dt)
	target.mu.Unlock()
	if stale {
		target.requestKeyframe()
	}
}

// detach removes a viewer's down track.
func (f *feed) detach(dt *downTrack) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.dts[dt]; !ok {
		return
	}
	delete(f.dts, dt)
	f.shards.remove(dt.writer, dt)
}

// retarget re-chooses a viewer's layer from its bandwidth estimate.
func (f *feed) retarget(dt *downTrack) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.dts[dt]; ok {
		f.retargetLocked(dt)
	}
}

func (f *feed) retargetLocked(dt *downTrack) {
	next := dt.choose(f.currentLayers())
	if prev := dt.target.Swap(next); prev != next && next != nil {
		// The switch happens in the writer on next's first keyframe.
		next.requestKeyframe()
	}
}

func (f *feed) downTracks() []*downTrack {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*downTrack, 0, len(f.dts))
	for dt := range f.dts {
		out = append(out, dt)
	}
	return out
}

// compatibleLayers filters out streams a viewer cannot decode: after a
// publisher restart with another codec, viewers negotiated for the old one
// wait (showing their last frame) instead of receiving undecodable data.
func compatibleLayers(layers []*pubTrack, codec webrtc.RTPCodecCapability) []*pubTrack {
	for i, l := range layers {
		if !codecsCompatible(codec, l.codec) {
			out := append([]*pubTrack(nil), layers[:i]...)
			for _, m := range layers[i+1:] {
				if codecsCompatible(codec, m.codec) {
					out = append(out, m)
				}
			}
			return out
		}
	}
	return layers
}
