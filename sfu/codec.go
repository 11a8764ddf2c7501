package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types the server offers. Only codecs every target browser decodes
// are registered, because the SFU never transcodes: H.264 constrained
// baseline (the one profile iOS Safari always decodes), VP8 and Opus.
var (
	videoFeedback = []webrtc.RTCPFeedback{
		{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "goog-remb"},
	}
	serverCodecs = []struct {
		kind   webrtc.RTPCodecType
		params webrtc.RTPCodecParameters
	}{
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
			RTCPFeedback: videoFeedback,
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 104, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
			RTCPFeedback: videoFeedback,
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		}}},
		{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		}}},
	}
)

// codecInfo describes the codec a publisher negotiated for one kind.
type codecInfo struct {
	cap  webrtc.RTPCodecCapability
	kind webrtc.RTPCodecType
}

// String renders the codec for error messages, e.g. "video/H264 packetization-mode=1;...".
func (c codecInfo) String() string {
	s := c.cap.MimeType
	if c.cap.SDPFmtpLine != "" {
		s += " " + c.cap.SDPFmtpLine
	}
	return s
}

// fmtpParam returns one key of an fmtp line, lower-cased.
func fmtpParam(fmtp, key string) string {
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.EqualFold(k, key) {
			return strings.ToLower(strings.TrimSpace(v))
		}
	}
	return ""
}

// codecsCompatible reports whether a receiver that negotiated `have` can
// decode a stream sent as `want`. For H.264 the profile_idc and the
// packetization mode must agree; levels are not compared because every
// browser decodes above the level it announces for constrained baseline.
func codecsCompatible(want, have webrtc.RTPCodecCapability) bool {
	if !strings.EqualFold(want.MimeType, have.MimeType) || want.ClockRate != have.ClockRate {
		return false
	}
	if !strings.EqualFold(want.MimeType, webrtc.MimeTypeH264) {
		return true
	}
	pm := func(f string) string {
		if v := fmtpParam(f, "packetization-mode"); v != "" {
			return v
		}
		return "0"
	}
	if pm(want.SDPFmtpLine) != pm(have.SDPFmtpLine) {
		return false
	}
	wp, hp := fmtpParam(want.SDPFmtpLine, "profile-level-id"), fmtpParam(have.SDPFmtpLine, "profile-level-id")
	if len(wp) < 2 || len(hp) < 2 {
		return wp == hp
	}
	return wp[:2] == hp[:2]
}

// mediaCodecs lists, per kind, the codecs of the first active m-section of
// a parsed SDP, in preference order.
func mediaCodecs(sd *sdp.SessionDescription) map[webrtc.RTPCodecType][]webrtc.RTPCodecCapability {
	out := map[webrtc.RTPCodecType][]webrtc.RTPCodecCapability{}
	for _, md := range sd.MediaDescriptions {
		kind := webrtc.NewRTPCodecType(md.MediaName.Media)
		if kind == 0 || md.MediaName.Port.Value == 0 || len(out[kind]) > 0 {
			continue
		}
		if _, inactive := md.Attribute("inactive"); inactive {
			continue
		}
		for _, f := range md.MediaName.Formats {
			var pt uint8
			if _, err := fmt.Sscanf(f, "%d", &pt); err != nil {
				continue
			}
			c, err := sd.GetCodecForPayloadType(pt)
			if err != nil {
				continue
			}
			mime := kind.String() + "/" + c.Name
			out[kind] = append(out[kind], webrtc.RTPCodecCapability{
				MimeType: mime, ClockRate: c.ClockRate, SDPFmtpLine: c.Fmtp,
			})
		}
	}
	return out
}

// sendingKinds lists the kinds whose first active m-section of a parsed SDP
// (as mediaCodecs picks it) sends media: its direction is sendrecv or
// sendonly and, when withTrack, it names a track (msid or ssrc). Pion
// answers an m-section it has no track for as sendonly without either, so
// withTrack tells an origin's answer that carries a kind from one that
// merely accepts it.
func sendingKinds(sd *sdp.SessionDescription, withTrack bool) []webrtc.RTPCodecType {
	var out []webrtc.RTPCodecType
	seen := map[webrtc.RTPCodecType]bool{}
	for _, md := range sd.MediaDescriptions {
		kind := webrtc.NewRTPCodecType(md.MediaName.Media)
		if kind == 0 || md.MediaName.Port.Value == 0 || seen[kind] {
			continue
		}
		if _, inactive := md.Attribute("inactive"); inactive {
			continue
		}
		seen[kind] = true
		if _, recvonly := md.Attribute("recvonly"); recvonly {
			continue
		}
		_, msid := md.Attribute("msid")
		_, ssrc := md.Attribute("ssrc")
		if withTrack && !msid && !ssrc {
			continue
		}
		out = append(out, kind)
	}
	return out
}

// parseSDP parses an SDP and wraps failures in ErrBadOffer.
func parseSDP(raw string) (*sdp.SessionDescription, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, fmt.Errorf("%w: no media sections", ErrBadOffer)
	}
	return &sd, nil
}

// checkViewerCodecs fails with a *CodecMismatchError when the viewer's offer
// asks for a kind the publisher sends but cannot decode the publisher's codec.
func checkViewerCodecs(offer *sdp.SessionDescription, published map[webrtc.RTPCodecType]codecInfo) error {
	offered := mediaCodecs(offer)
	for kind, pc := range published {
		list, asked := offered[kind]
		if !asked {
			continue
		}
		ok := false
		var names []string
		for _, c := range list {
			if codecsCompatible(pc.cap, c) {
				ok = true
				break
			}
			names = append(names, c.MimeType)
		}
		if !ok {
			return &CodecMismatchError{Kind: kind.String(), Publisher: pc.String(), Offered: names}
		}
	}
	return nil
}

// isRTX reports whether a codec is a retransmission or FEC pseudo-codec.
func isRTX(mime string) bool {
	m := strings.ToLower(mime)
	return strings.HasSuffix(m, "/rtx") || strings.HasSuffix(m, "/red") || strings.HasSuffix(m, "/ulpfec") ||
		strings.HasSuffix(m, "/flexfec-03")
}
