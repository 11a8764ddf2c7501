package testpattern

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Publisher streams a looped clip over WHIP and answers every PLI by
// jumping to the clip's next keyframe, as a real encoder would produce one.
type Publisher struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	audio     *webrtc.TrackLocalStaticRTP
	audioClip *AudioClip
	clip      *Clip
	onSend    func(payload []byte)
	location  string
	wantKey   atomic.Bool
	heard     atomic.Int64 // unix ns: the last RTCP from the server, or the connection
	// PaceBps spreads packets at this rate like a browser's pacer (Chrome
	// paces at 2.5x the target bitrate); 0 sends each frame as one burst.
	PaceBps int

	PLIs      atomic.Int64
	Keyframes atomic.Int64
	Packets   atomic.Int64
	Bytes     atomic.Int64
	// AudioPackets counts Opus packets sent.
	AudioPackets atomic.Int64

	wg sync.WaitGroup
}

// StartPublisher connects a publisher to endpoint (the WHIP URL). With a
// non-nil audio clip it also sends Opus. A non-nil onSend is called with
// each video payload just before it is sent (the load test records send
// times with it to measure latency); it runs on the sending goroutine, so
// it must be quick.
func StartPublisher(ctx context.Context, api *webrtc.API, endpoint, token string, clip *Clip, audio *AudioClip, onSend func(payload []byte)) (*Publisher, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}, "video", "loadtest")
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	p := &Publisher{pc: pc, track: track, clip: clip, onSend: onSend, audioClip: audio}
	p.wg.Add(1)
	go p.readRTCP(sender)
	if audio != nil {
		if p.audio, err = audioTrack(); err != nil {
			p.Close()
			return nil, err
		}
		as, err := pc.AddTrack(p.audio)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("add audio track: %w", err)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				if _, _, err := as.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
	offer, err := CompleteOffer(ctx, pc)
	if err != nil {
		p.Close()
		return nil, err
	}
	answer, loc, err := PostSDP(ctx, endpoint, token, offer)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.location = loc
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		p.Close()
		return nil, fmt.Errorf("publisher answer: %w", err)
	}
	if err := WaitConnected(ctx, pc); err != nil {
		p.Close()
		return nil, fmt.Errorf("publisher connect: %w", err)
	}
	p.heard.Store(time.Now().UnixNano())
	return p, nil
}

func (p *Publisher) readRTCP(sender *webrtc.RTPSender) {
	defer p.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		p.heard.Store(time.Now().UnixNano())
		for _, k := range pkts {
			switch k.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.PLIs.Add(1)
				p.wantKey.Store(true)
			}
		}
	}
}

// Run sends video frames at the clip's rate (and audio every 20 ms) until
// ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	var audioWG sync.WaitGroup
	audioWG.Add(1)
	go func() { defer audioWG.Done(); p.runAudio(ctx) }()
	defer audioWG.Wait()
	interval := time.Second / time.Duration(p.clip.FPS)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	frame := 0
	next := time.Now()
	for {
		if p.wantKey.Swap(false) && !p.clip.Frames[frame].Keyframe {
			frame = p.clip.NextKeyframe(frame)
		}
		f := p.clip.Frames[frame]
		if f.Keyframe {
			p.Keyframes.Add(1)
		}
		for i, pl := range f.Payloads {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts,
				Marker: i == len(f.Payloads)-1}, Payload: pl}
			seq++
			if p.PaceBps > 0 {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				if now := time.Now(); now.After(next) {
					next = now
				}
				next = next.Add(time.Duration(len(pl)*8) * time.Second / time.Duration(p.PaceBps))
			}
			if p.onSend != nil {
				p.onSend(pl)
			}
			if err := p.track.WriteRTP(&pkt); err != nil {
				return
			}
			p.Packets.Add(1)
			p.Bytes.Add(int64(len(pl)))
		}
		frame = (frame + 1) % len(p.clip.Frames)
		ts += uint32(90000 / p.clip.FPS)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Close ends the WHIP session and the peer.
func (p *Publisher) Close() {
	DeleteSession(p.location)
	_ = p.pc.Close()
	p.wg.Wait()
}

// SinceHeard returns how long ago the server last sent the video track
// RTCP (Pion's receiver reports, which Bidcast's SFU sends every second,
// NACKs, PLIs), counting from the connection. A publisher that follows
// its room uses it to notice that its node died or dropped the session
// long before ICE gives up.
func (p *Publisher) SinceHeard() time.Duration {
	return time.Since(time.Unix(0, p.heard.Load()))
}

// Failed reports whether the publisher's peer connection failed or closed.
func (p *Publisher) Failed() bool {
	s := p.pc.ConnectionState()
	return s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed
}

// Connected reports whether the publisher's peer connection is up. A
// long-running publisher polls it to notice the server dropping it.
func (p *Publisher) Connected() bool {
	return p.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}
