package sfu

// H.264 NAL unit types that matter to a forwarder (RFC 6184).
const (
	naluIDR   = 5
	naluSPS   = 7
	naluSTAPA = 24
	naluFUA   = 28
)

// isH264Keyframe reports whether an H.264 RTP payload carries the start of an
// IDR picture or its parameter sets, in a single NAL unit, a STAP-A aggregate
// or the first fragment of an FU-A. Decoders can start from such a packet.
func isH264Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	switch nalu := payload[0] & 0x1f; nalu {
	case naluIDR, naluSPS:
		return true
	case naluSTAPA:
		// STAP-A: repeated (16-bit size, NAL unit).
		for i := 1; i+2 < len(payload); {
			size := int(payload[i])<<8 | int(payload[i+1])
			i += 2
			if size == 0 || i+size > len(payload) {
				return false
			}
			if t := payload[i] & 0x1f; t == naluIDR || t == naluSPS {
				return true
			}
			i += size
		}
		return false
	case naluFUA:
		if len(payload) < 2 {
			return false
		}
		start := payload[1]&0x80 != 0
		return start && payload[1]&0x1f == naluIDR
	default:
		return false
	}
}

// isVP8Keyframe reports whether a VP8 RTP payload (RFC 7741) is the first
// packet of a key frame: start of partition 0 with the inverse key frame bit
// of the VP8 payload header clear.
func isVP8Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	if b0&0x10 == 0 || b0&0x07 != 0 { // S bit clear or partition index != 0
		return false
	}
	i := 1
	if b0&0x80 != 0 { // X: extended control bits present
		if len(payload) < 2 {
			return false
		}
		x := payload[1]
		i++
		if x&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if len(payload) <= i {
				return false
			}
			if payload[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX byte
			i++
		}
	}
	if len(payload) <= i {
		return false
	}
	return payload[i]&0x01 == 0
}
