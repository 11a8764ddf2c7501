package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/pion/rtp/codecs"
)

// errNoPicture is a keyframe that cannot be made into a picture (an
// unknown codec, payloads that do not parse, a VP8 frame that is not a
// keyframe).
var errNoPicture = errors.New("media: the keyframe holds no picture")

// KeyframeJPEG decodes one video keyframe, given as the RTP payloads of its
// packets in order, with ffmpeg and returns it as a JPEG at most width
// pixels wide. mimeType is "video/H264" (the keyframe must carry its SPS
// and PPS, as browsers and encoders send them with each IDR) or
// "video/VP8".
func KeyframeJPEG(ctx context.Context, ffmpeg, mimeType string, payloads [][]byte, width int) ([]byte, error) {
	var stream []byte
	var format string
	var err error
	switch strings.ToLower(mimeType) {
	case "video/h264":
		format = "h264"
		stream, err = h264AnnexB(payloads)
	case "video/vp8":
		format = "ivf"
		stream, err = vp8IVF(payloads)
	default:
		return nil, fmt.Errorf("%w: codec %s", errNoPicture, mimeType)
	}
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "pipe", "-f", format, "-i", "pipe:0", "-frames:v", "1",
		"-vf", "scale='min("+strconv.Itoa(width)+",iw)':-2", "-q:v", "5",
		"-f", "image2pipe", "-c:v", "mjpeg", "pipe:1")
	cmd.Stdin = bytes.NewReader(stream)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("decode keyframe with ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if out.Len() < 4 || out.Bytes()[0] != 0xFF || out.Bytes()[1] != 0xD8 {
		return nil, fmt.Errorf("%w: ffmpeg made no JPEG", errNoPicture)
	}
	return out.Bytes(), nil
}

// h264AnnexB turns RTP payloads (single NAL units, STAP-A, FU-A) into an
// Annex B byte stream.
func h264AnnexB(payloads [][]byte) ([]byte, error) {
	var p codecs.H264Packet
	var out []byte
	for _, pl := range payloads {
		b, err := p.Unmarshal(pl)
		if err != nil {
			return nil, fmt.Errorf("%w: H.264 payload: %v", errNoPicture, err)
		}
		out = append(out, b...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no H.264 NAL unit", errNoPicture)
	}
	return out, nil
}

// vp8IVF turns RTP payloads of one VP8 keyframe into an IVF file of one
// frame, the container ffmpeg reads VP8 from.
func vp8IVF(payloads [][]byte) ([]byte, error) {
	var p codecs.VP8Packet
	var frame []byte
	for _, pl := range payloads {
		b, err := p.Unmarshal(pl)
		if err != nil {
			return nil, fmt.Errorf("%w: VP8 payload: %v", errNoPicture, err)
		}
		frame = append(frame, b...)
	}
	// A keyframe: bit 0 of the first byte clear, then the start code
	// 9d 01 2a and the 14-bit width and height.
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return nil, fmt.Errorf("%w: not a VP8 keyframe", errNoPicture)
	}
	w := binary.LittleEndian.Uint16(frame[6:8]) & 0x3fff
	h := binary.LittleEndian.Uint16(frame[8:10]) & 0x3fff
	hdr := make([]byte, 32, 32+12+len(frame))
	copy(hdr[0:4], "DKIF")
	binary.LittleEndian.PutUint16(hdr[6:8], 32)
	copy(hdr[8:12], "VP80")
	binary.LittleEndian.PutUint16(hdr[12:14], w)
	binary.LittleEndian.PutUint16(hdr[14:16], h)
	binary.LittleEndian.PutUint32(hdr[16:20], 30) // frame rate 30/1
	binary.LittleEndian.PutUint32(hdr[20:24], 1)
	binary.LittleEndian.PutUint32(hdr[24:28], 1) // one frame
	var fh [12]byte
	binary.LittleEndian.PutUint32(fh[0:4], uint32(len(frame)))
	return append(append(hdr, fh[:]...), frame...), nil
}
