package sfu

import (
	"context"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Publish makes the sender of offerSDP the publisher of roomID (creating the
// room) and returns the SDP answer and the session ID. It fails with
// ErrPublisherExists while another publisher is live, ErrBadOffer for an
// unusable offer and ErrCodecMismatch when the offer has no H.264
// constrained baseline, VP8 or Opus. Viewers already in the room (from a
// previous publisher) resume on the new publisher's first keyframe.
func (srv *Server) Publish(ctx context.Context, roomID, offerSDP string, opts ...SessionOption) (answer, sessionID string, err error) {
	offer, err := parseSDP(offerSDP)
	if err != nil {
		return "", "", err
	}
	if !hasSendingMedia(offer) {
		return "", "", fmt.Errorf("%w: the offer sends no audio or video", ErrBadOffer)
	}
	pc, err := srv.newPeerConnection()
	if err != nil {
		return "", "", err
	}
	s := &session{id: newSessionID(), srv: srv, publish: true, pc: pc}
	for _, o := range opts {
		o(&s.opts)
	}
	// A relay of the room from another node gives way (relay.go), and the
	// cluster learns this node is the room's origin now, and when not;
	// viewers left here when it goes follow the room (followPublisher).
	srv.displaceRelay(roomID)
	if onClose := s.opts.onClose; srv.link() != nil {
		s.opts.onClose = func() {
			srv.mediaChanged(roomID, false, false)
			srv.followPublisher(roomID)
			if onClose != nil {
				onClose()
			}
		}
	}
	srv.mu.Lock()
	s.room = srv.roomLocked(roomID)
	err = srv.addSessionLocked(s)
	if err != nil && len(s.room.subscribers) == 0 && s.room.publisher == nil {
		delete(srv.rooms, roomID)
	}
	srv.mu.Unlock()
	if err != nil {
		_ = pc.Close()
		return "", "", err
	}
	fail := func(err error) (string, string, error) {
		s.close()
		return "", "", err
	}

	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.onTrack(remote) })
	s.watchState()
	answer, err = negotiate(ctx, pc, offerSDP, s.opts.onCandidate != nil, nil)
	if err != nil {
		return fail(err)
	}
	ans, err := parseSDP(answer)
	if err != nil {
		return fail(err)
	}
	codecs := mediaCodecs(ans)
	if len(codecs) == 0 {
		return fail(&CodecMismatchError{Kind: "video", Publisher: "none",
			Offered: offeredNames(offer)})
	}
	for kind, list := range codecs {
		s.room.feed(kind).setCodec(codecInfo{cap: list[0], kind: kind})
	}
	var sends []webrtc.RTPCodecType
	for _, kind := range sendingKinds(offer, false) {
		if _, ok := codecs[kind]; ok {
			sends = append(sends, kind)
		}
	}
	s.setSends(sends)
	srv.mediaChanged(roomID, false, true)
	srv.watchOrigin(s, roomID)
	srv.log.Info("sfu publisher joined", "room", roomID, "session", s.id)
	return answer, s.id, nil
}

// onTrack starts the reader of a new incoming stream (one per simulcast
// layer) and makes it a layer of the room's feed.
func (s *session) onTrack(remote *webrtc.TrackRemote) {
	f := s.room.feed(remote.Kind())
	if isRTX(remote.Codec().MimeType) {
		return
	}
	codec := remote.Codec().RTPCodecCapability
	if ci := f.codecInfo(); ci == nil || !codecsCompatible(ci.cap, codec) {
		// The browser chose another of the answered codecs than the first.
		f.setCodec(codecInfo{cap: codec, kind: remote.Kind()})
	}
	t := newPubTrack(s.srv, f, s.pc, remote)
	if l := s.relayLayer; l != nil && t.video {
		l.apply(t)
	}
	s.srv.mu.Lock()
	if s.srv.closed {
		s.srv.mu.Unlock()
		return
	}
	s.srv.wg.Add(1)
	s.srv.mu.Unlock()
	s.mu.Lock()
	s.tracks = append(s.tracks, t)
	s.mu.Unlock()
	f.addLayer(t)
	s.srv.log.Info("sfu publisher track", "room", s.room.id, "session", s.id,
		"kind", remote.Kind().String(), "codec", codec.MimeType, "rid", remote.RID())
	go t.readLoop()
}

// hasSendingMedia reports whether an offer has an audio or video section the
// client sends on.
func hasSendingMedia(sd *sdp.SessionDescription) bool {
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" && md.MediaName.Media != "video" {
			continue
		}
		_, recvonly := md.Attribute("recvonly")
		_, inactive := md.Attribute("inactive")
		if !recvonly && !inactive {
			return true
		}
	}
	return false
}

// hasReceivingMedia reports whether an offer asks to receive kind.
func hasReceivingMedia(sd *sdp.SessionDescription, kind string) bool {
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != kind || md.MediaName.Port.Value == 0 {
			continue
		}
		_, sendonly := md.Attribute("sendonly")
		_, inactive := md.Attribute("inactive")
		if !sendonly && !inactive {
			return true
		}
	}
	return false
}

func offeredNames(sd *sdp.SessionDescription) []string {
	var out []string
	for _, list := range mediaCodecs(sd) {
		for _, c := range list {
			out = append(out, strings.TrimPrefix(c.MimeType, ""))
		}
	}
	return out
}
