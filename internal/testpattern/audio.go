package testpattern

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// opusFrame is 20 ms of Opus at 48 kHz, in RTP timestamp units.
const opusFrame = 960

// AudioClip is a looped sequence of 20 ms Opus packets.
type AudioClip struct {
	Packets [][]byte
}

// EnsureAudioClip generates a 10 s Opus tone in Ogg at path with ffmpeg
// when it is missing, one packet per page so pages map to RTP packets.
func EnsureAudioClip(ctx context.Context, path string) error {
	return ensureWithFFmpeg(ctx, path, ".tmp.ogg",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:beep_factor=4", "-t", "10",
		"-c:a", "libopus", "-b:a", "48k", "-frame_duration", "20", "-page_duration", "20000")
}

// LoadAudioClip reads the Opus packets of an Ogg file, skipping the
// OpusHead and OpusTags headers.
func LoadAudioClip(path string) (*AudioClip, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read audio clip: %w", err)
	}
	r, _, err := oggreader.NewWith(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse ogg: %w", err)
	}
	clip := &AudioClip{}
	for {
		page, _, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse ogg page: %w", err)
		}
		if len(page) == 0 || bytes.HasPrefix(page, []byte("OpusTags")) || bytes.HasPrefix(page, []byte("OpusHead")) {
			continue
		}
		clip.Packets = append(clip.Packets, page)
	}
	if len(clip.Packets) == 0 {
		return nil, errors.New("audio clip has no Opus packets")
	}
	return clip, nil
}

// audioTrack is the publisher's Opus track.
func audioTrack() (*webrtc.TrackLocalStaticRTP, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, "audio", "loadtest")
	if err != nil {
		return nil, fmt.Errorf("audio track: %w", err)
	}
	return t, nil
}

// runAudio sends the clip's packets every 20 ms until ctx ends.
func (p *Publisher) runAudio(ctx context.Context) {
	if p.audio == nil || p.audioClip == nil {
		return
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	for i := 0; ; i = (i + 1) % len(p.audioClip.Packets) {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: i == 0},
			Payload: p.audioClip.Packets[i]}
		if err := p.audio.WriteRTP(&pkt); err != nil {
			return
		}
		p.AudioPackets.Add(1)
		seq++
		ts += opusFrame
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
