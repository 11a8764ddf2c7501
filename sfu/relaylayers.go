package sfu

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// Simulcast layers across a relay. The origin serves a relay's WHEP
// session one fixed layer, never switching it by bandwidth: the lowest for
// a plain POST, the one named by the query parameter layer (a RID) for
// POST /whep/{room}?layer=<rid>; both only with the cluster's relay
// bearer. Its answer lists the room's video layers, low to high, with
// their measured bitrates, in the header
//
//	Bidcast-Layers: q;bitrate=150000, h;bitrate=500000, f;bitrate=1500000
//
// (absent unless the publisher sends two or more layers). The edge's relay
// session carries the audio and the lowest layer; every other layer the
// edge's viewers need comes in a video-only session of its own. A viewer
// needs the layer its bandwidth estimate would choose among all the
// origin's layers (chooseIndex; a layer the edge carries is measured here,
// one it does not is known from the origin's list or from when it was
// last carried). The relay's goroutine asks for a needed layer within a
// tick, and releases a layer nobody has needed for the relay's linger. On
// the edge, relayed layers are the room's simulcast layers: viewers switch
// between them at keyframes exactly as between a local publisher's. The
// origin's cost is one session per edge and layer in use, whatever the
// number of viewers.

// layersHeader is the origin's list of video layers in a relay's answer.
const layersHeader = "Bidcast-Layers"

// maxCatalogLayers bounds the list an edge accepts (browsers send three).
const maxCatalogLayers = 8

// layerInfo is one video layer of a room's publisher, as an origin lists it.
type layerInfo struct {
	rid     string
	bitrate uint64 // bits per second; 0 when not measured yet
}

// relayedLayer marks a relay session's video track as one layer of the
// origin's publisher: its RID, 1 + its place in the origin's order, and
// the bitrate the origin measured (until this node measures its own).
type relayedLayer struct {
	rid     string
	rank    int
	bitrate uint64
}

// apply makes t stand for the relayed layer.
func (l *relayedLayer) apply(t *pubTrack) {
	t.rid, t.relayRank = l.rid, l.rank
	t.st.bitrate.Store(l.bitrate)
}

// layerSess is a relay's session carrying one layer other than the lowest.
type layerSess struct {
	sess     *session
	url, loc string // the origin's WHEP URL it was offered to, and its session
	lastNeed time.Time
}

// relayPin returns the layer a relay's WHEP POST asks for.
func relayPin(q url.Values) *layerPin {
	if q.Has("layer") {
		return &layerPin{rid: q.Get("layer")}
	}
	return &layerPin{lowest: true}
}

// layerCatalog lists roomID's video layers here, low to high; nil unless
// the publisher sends two or more, each with a RID.
func (srv *Server) layerCatalog(roomID string) []layerInfo {
	srv.mu.Lock()
	r, ok := srv.rooms[roomID]
	srv.mu.Unlock()
	if !ok {
		return nil
	}
	layers := r.video.currentLayers()
	if len(layers) < 2 {
		return nil
	}
	out := make([]layerInfo, 0, len(layers))
	for _, l := range layers {
		if !validRID(l.rid) {
			return nil
		}
		out = append(out, layerInfo{rid: l.rid, bitrate: l.st.bitrate.Load()})
	}
	return out
}

// formatLayers renders a catalog for the Bidcast-Layers header.
func formatLayers(ls []layerInfo) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.rid + ";bitrate=" + strconv.FormatUint(l.bitrate, 10)
	}
	return strings.Join(parts, ", ")
}

// parseLayers reads a Bidcast-Layers header; anything malformed (or fewer
// than two layers) yields nil, and the relay then carries one layer.
func parseLayers(h string) []layerInfo {
	if strings.TrimSpace(h) == "" {
		return nil
	}
	parts := strings.Split(h, ",")
	if len(parts) < 2 || len(parts) > maxCatalogLayers {
		return nil
	}
	out := make([]layerInfo, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		rid, params, _ := strings.Cut(p, ";")
		rid = strings.TrimSpace(rid)
		if !validRID(rid) || seen[rid] {
			return nil
		}
		seen[rid] = true
		l := layerInfo{rid: rid}
		if params != "" {
			v, ok := strings.CutPrefix(strings.TrimSpace(params), "bitrate=")
			n, err := strconv.ParseUint(v, 10, 64)
			if !ok || err != nil {
				return nil
			}
			l.bitrate = n
		}
		out = append(out, l)
	}
	return out
}

// validRID reports whether s is a usable RID (RFC 8851: letters, digits,
// '-' and '_'; browsers use one or two characters).
func validRID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// layerDemand returns the layers other than the lowest that the edge's
// viewers of the relayed room need now. It runs on the relay's goroutine,
// which owns rl.catalog, and remembers in it what this node measured of
// the layers it carries.
func layerDemand(rl *relay, r *room) map[string]bool {
	cat := rl.catalog
	if len(cat) < 2 || r == nil {
		return nil
	}
	carried := map[string]*pubTrack{}
	for _, t := range r.video.currentLayers() {
		carried[t.rid] = t
	}
	rates := make([]uint64, len(cat))
	for i := range cat {
		if t := carried[cat[i].rid]; t != nil {
			if b := t.st.bitrate.Load(); b != 0 {
				cat[i].bitrate = b
			}
		}
		rates[i] = cat[i].bitrate
	}
	need := map[string]bool{}
	for _, dt := range r.video.downTracks() {
		if i := chooseIndex(rates, dt.estimate()); i > 0 {
			need[cat[i].rid] = true
		}
	}
	return need
}

// syncLayers brings the relay's extra layers in line with what the edge's
// viewers need: it drops failed ones, asks the origin for missing ones and
// releases those nobody has needed for the linger. It runs on the relay's
// goroutine while the relay session is up.
func (srv *Server) syncLayers(ctx context.Context, l *relayLink, rl *relay, whepURL string, now time.Time) {
	l.mu.Lock()
	sess := rl.sess
	l.mu.Unlock()
	if sess == nil {
		return
	}
	need := layerDemand(rl, sess.room)
	var drop []*layerSess
	var missing []string
	l.mu.Lock()
	for rid, ls := range rl.layers {
		st := ls.sess.pc.ConnectionState()
		switch {
		case st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed:
			delete(rl.layers, rid)
			drop = append(drop, ls)
		case need[rid]:
			ls.lastNeed = now
		case now.Sub(ls.lastNeed) > l.linger:
			srv.log.Info("sfu relay releases a layer", "room", rl.roomID, "rid", rid)
			delete(rl.layers, rid)
			drop = append(drop, ls)
		}
	}
	for rid := range need {
		if rl.layers[rid] == nil && !now.Before(rl.retryAt[rid]) {
			missing = append(missing, rid)
		}
	}
	l.mu.Unlock()
	token := l.c.RelayToken(rl.roomID)
	for _, ls := range drop {
		ls.sess.close()
		l.deleteUpstream(ls.url, ls.loc, token)
	}
	for _, rid := range missing {
		if err := srv.connectLayer(ctx, l, rl, sess, whepURL, rid, now); err != nil {
			// Asked again after a pause: the origin's publisher may have
			// stopped sending the layer, or the origin is going away.
			rl.retryAt[rid] = now.Add(2 * time.Second)
			level := slog.LevelWarn
			if errors.Is(err, ErrNotLive) {
				level = slog.LevelDebug
			}
			srv.log.Log(ctx, level, "sfu relay: asking the origin for a layer failed", "room", rl.roomID,
				"rid", rid, "err", err)
		}
	}
}

// connectLayer subscribes a video-only session to layer rid of the origin
// and adds its track to the relayed room as that layer.
func (srv *Server) connectLayer(ctx context.Context, l *relayLink, rl *relay, primary *session, whepURL, rid string, now time.Time) error {
	token := l.c.RelayToken(rl.roomID)
	if token == "" {
		return errors.New("relaying is off (no cluster secret)")
	}
	u := whepURL + "?layer=" + url.QueryEscape(rid)
	pc, ans, err := srv.dialOrigin(ctx, l, u, token, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return err
	}
	if len(ans.layers) > 1 {
		rl.catalog = ans.layers
	}
	rank, bitrate := 0, uint64(0)
	for i, c := range rl.catalog {
		if c.rid == rid {
			rank, bitrate = i+1, c.bitrate
		}
	}
	s := &session{id: newSessionID(), srv: srv, publish: true, pc: pc, room: primary.room,
		relayLayer: &relayedLayer{rid: rid, rank: rank, bitrate: bitrate}}
	l.mu.Lock()
	ok := !rl.gone && rl.sess == primary
	if ok {
		rl.layers[rid] = &layerSess{sess: s, url: u, loc: ans.location, lastNeed: now}
	}
	l.mu.Unlock()
	if !ok {
		_ = pc.Close()
		l.deleteUpstream(u, ans.location, token)
		return ErrPublisherExists
	}
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.onTrack(remote) })
	s.watchState()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.sdp}); err != nil {
		s.close() // the next sync drops it
		return errors.Join(ErrBadOffer, err)
	}
	srv.log.Info("sfu relay carries a layer", "room", rl.roomID, "rid", rid)
	return nil
}

// takeLayers removes and returns the relay's extra layers.
func (l *relayLink) takeLayers(rl *relay) []*layerSess {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*layerSess, 0, len(rl.layers))
	for rid, ls := range rl.layers {
		out = append(out, ls)
		delete(rl.layers, rid)
	}
	return out
}

// closeLayers ends the relay's extra layers, telling the origin when
// upstream is set.
func (srv *Server) closeLayers(l *relayLink, rl *relay, upstream bool) {
	token := l.c.RelayToken(rl.roomID)
	for _, ls := range l.takeLayers(rl) {
		ls.sess.close()
		if upstream {
			l.deleteUpstream(ls.url, ls.loc, token)
		}
	}
}
