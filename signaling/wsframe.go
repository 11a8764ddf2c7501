package signaling

// The gateway frames its own messages (RFC 6455 section 5.2) and writes
// each as one write of the socket under coder/websocket (poolConn), instead
// of calling the library's Conn.Write per message: the library's write
// path (a message lock and a frame lock, both channel selects, the close
// state, the header and a copy into its bufio.Writer, the flush) cost
// ~3 us of the ~13 us a delivery costs the server. A round's message is
// framed once for every connection (run.framed). The library still owns
// the reading side and its control frames (pings, pongs, the close
// handshake), which it writes through poolConn as well, one whole frame
// per write, so the two never interleave within a frame; no data frame
// goes out after the library's close frame (poolConn.closeSent).
// Compression is never negotiated (Accept disables it), so a frame is
// the payload behind a 2, 4 or 10-byte header: FIN, opcode text, no mask.

// maxFrameHeader is the longest header of an unmasked frame.
const maxFrameHeader = 10

// frameHeaderLen is the header length of a frame of n payload bytes.
func frameHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xFFFF:
		return 4
	default:
		return 10
	}
}

// putFrameHeader writes the header of a final text frame of n payload
// bytes at the start of dst, which has room for it.
func putFrameHeader(dst []byte, n int) {
	dst[0] = 0x80 | 0x1 // FIN, text
	switch {
	case n < 126:
		dst[1] = byte(n)
	case n <= 0xFFFF:
		dst[1] = 126
		dst[2], dst[3] = byte(n>>8), byte(n)
	default:
		dst[1] = 127
		for i := range 8 {
			dst[2+i] = byte(uint64(n) >> (56 - 8*i))
		}
	}
}

// appendTextFrame appends payload as one final text frame to dst.
func appendTextFrame(dst, payload []byte) []byte {
	h := frameHeaderLen(len(payload))
	dst = append(dst, make([]byte, h)...)
	putFrameHeader(dst[len(dst)-h:], len(payload))
	return append(dst, payload...)
}

// frameInPlace frames the payload b[maxFrameHeader:] with the header right
// before it, and returns the frame (a suffix of b).
func frameInPlace(b []byte) []byte {
	n := len(b) - maxFrameHeader
	h := frameHeaderLen(n)
	f := b[maxFrameHeader-h:]
	putFrameHeader(f, n)
	return f
}

// framePayload returns the payload of an unmasked frame.
func framePayload(f []byte) []byte {
	switch f[1] & 0x7F {
	case 126:
		return f[4:]
	case 127:
		return f[10:]
	default:
		return f[2:]
	}
}
