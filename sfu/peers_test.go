package sfu

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// fakePublisher sends synthetic H.264 (or VP8) frames at 30 fps on one or
// more simulcast layers and answers PLIs with a keyframe.
type fakePublisher struct {
	pc       *webrtc.PeerConnection
	layers   []*pubLayer
	mime     string
	plis     atomic.Int32
	forceKey atomic.Bool
	probes   bool // send a padding-only packet after every frame, like a BWE probe
	// ignorePLI counts keyframe requests but answers none, like aiortc's
	// H.264 encoder.
	ignorePLI bool
	sender    *webrtc.RTPSender
	audio     atomic.Pointer[webrtc.TrackLocalStaticRTP] // set by addAudio while sending
	stop      chan struct{}
	wg        sync.WaitGroup
}

type pubLayer struct {
	track *webrtc.TrackLocalStaticRTP
	id    byte // written into every payload so viewers can tell layers apart
	size  int  // payload bytes per packet
	seq   uint16
}

func newFakePublisher(t testing.TB, api *webrtc.API, mime string, rids ...string) *fakePublisher {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePublisher{pc: pc, mime: mime, stop: make(chan struct{})}
	capab := webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}
	if mime == webrtc.MimeTypeH264 {
		capab.SDPFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	}
	if len(rids) == 0 {
		rids = []string{""}
	}
	var sender *webrtc.RTPSender
	for i, rid := range rids {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if rid != "" {
			opts = append(opts, webrtc.WithRTPStreamID(rid))
		}
		tr, err := webrtc.NewTrackLocalStaticRTP(capab, "video", "pub", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			sender, err = pc.AddTrack(tr)
		} else {
			err = sender.AddEncoding(tr)
		}
		if err != nil {
			t.Fatal(err)
		}
		p.layers = append(p.layers, &pubLayer{track: tr, id: byte(i + 1), size: 300 * (i + 1), seq: uint16(1000 * (i + 1))})
	}
	p.sender = sender
	for _, rid := range rids {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				var pkts []rtcp.Packet
				var err error
				if rid == "" {
					pkts, _, err = sender.ReadRTCP()
				} else {
					pkts, _, err = sender.ReadSimulcastRTCP(rid)
				}
				if err != nil {
					return
				}
				for _, k := range pkts {
					switch k.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						p.plis.Add(1)
						p.forceKey.Store(true)
					}
				}
			}
		}()
	}
	return p
}

// addAudio adds an Opus track; call it before creating the offer (or
// renegotiate after).
func (p *fakePublisher) addAudio(t testing.TB) {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "pub")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := p.pc.AddTrack(tr)
	if err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	p.audio.Store(tr)
}

// start sends frames until close: a keyframe every gop frames or on PLI.
func (p *fakePublisher) start(gop int) {
	// Simulcast layers are told apart by the mid and rid header
	// extensions, which Pion leaves to the application to write.
	var midID, ridID uint8
	var mid string
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Sender() == p.sender {
			mid = tr.Mid()
		}
	}
	for _, e := range p.sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			if a := p.audio.Load(); a != nil {
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: uint32(n) * 1584},
					Payload: append([]byte{0xfc}, make([]byte, 40)...)}
				_ = a.WriteRTP(pkt)
			}
			key := n%gop == 0 || p.forceKey.Swap(false) && !p.ignorePLI
			ts := uint32(n) * 3000
			for _, l := range p.layers {
				for _, pl := range synthFrame(p.mime, key, l.id, l.size) {
					pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: l.seq, Timestamp: ts}, Payload: pl}
					if rid := l.track.RID(); rid != "" && midID != 0 && ridID != 0 {
						_ = pkt.Header.SetExtension(midID, []byte(mid))
						_ = pkt.Header.SetExtension(ridID, []byte(rid))
					}
					l.seq++
					_ = l.track.WriteRTP(pkt)
				}
				if p.probes {
					pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: l.seq, Timestamp: ts,
						Padding: true, PaddingSize: 20}}
					l.seq++
					_ = l.track.WriteRTP(pkt)
				}
			}
		}
	}()
}

func (p *fakePublisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	_ = p.pc.Close()
	p.wg.Wait()
}

// synthFrame builds the RTP payloads of one synthetic frame: 3 packets. The
// byte after each NAL/descriptor header is the layer id.
func synthFrame(mime string, key bool, layer byte, size int) [][]byte {
	body := func(extra int) []byte {
		b := make([]byte, size+extra)
		b[extra] = layer
		return b
	}
	if mime == webrtc.MimeTypeVP8 {
		out := make([][]byte, 3)
		for i := range out {
			b := body(2)
			b[0] = 0x00
			if i == 0 {
				b[0] = 0x10 // S bit, partition 0
			}
			b[1] = 0x01 // inter frame
			if key && i == 0 {
				b[1] = 0x00
			}
			out[i] = b
		}
		return out
	}
	var out [][]byte
	if key {
		sps := []byte{0x67, 0x42, 0xe0, 0x1f, layer}
		pps := []byte{0x68, 0xce, 0x3c, 0x80}
		stap := []byte{0x78}
		for _, n := range [][]byte{sps, pps} {
			var sz [2]byte
			binary.BigEndian.PutUint16(sz[:], uint16(len(n)))
			stap = append(stap, sz[:]...)
			stap = append(stap, n...)
		}
		out = append(out, stap)
	}
	nal := byte(0x01)
	if key {
		nal = 0x05
	}
	for i := 0; i < 3; i++ {
		b := body(2)
		b[0] = 0x7c // FU-A, NRI 3
		b[1] = nal
		if i == 0 {
			b[1] |= 0x80
		}
		if i == 2 {
			b[1] |= 0x40
		}
		out = append(out, b)
	}
	return out
}

// fakeViewer receives video and records what arrives.
type fakeViewer struct {
	pc       *webrtc.PeerConnection
	mu       sync.Mutex
	seqs     []uint16
	tss      []uint32
	layers   []byte
	keyAt    []int // indexes of keyframe-start packets in seqs
	firstKey chan struct{}
	keyOnce  sync.Once
	packets  atomic.Int64
	audio    atomic.Int64
	paddings atomic.Int64 // padding-only packets received
	wg       sync.WaitGroup
}

func newFakeViewer(t testing.TB, api *webrtc.API, kinds ...webrtc.RTPCodecType) *fakeViewer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) == 0 {
		kinds = []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	v := &fakeViewer{pc: pc, firstKey: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			v.wg.Add(1)
			defer v.wg.Done()
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				v.audio.Add(1)
			}
		}
		v.wg.Add(1)
		defer v.wg.Done()
		mime := tr.Codec().MimeType
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			v.packets.Add(1)
			if len(pkt.Payload) == 0 {
				v.paddings.Add(1)
			}
			key := false
			if mime == webrtc.MimeTypeH264 {
				key = isH264Keyframe(pkt.Payload) && pkt.Payload[0] == 0x78
			} else {
				key = isVP8Keyframe(pkt.Payload)
			}
			var layer byte
			switch {
			case len(pkt.Payload) > 7 && pkt.Payload[0] == 0x78:
				layer = pkt.Payload[7] // STAP-A: the byte after the SPS header
			case len(pkt.Payload) > 2:
				layer = pkt.Payload[2]
			}
			v.mu.Lock()
			if key {
				v.keyAt = append(v.keyAt, len(v.seqs))
				v.keyOnce.Do(func() { close(v.firstKey) })
			}
			v.seqs = append(v.seqs, pkt.SequenceNumber)
			v.tss = append(v.tss, pkt.Timestamp)
			v.layers = append(v.layers, layer)
			v.mu.Unlock()
		}
	})
	return v
}

func (v *fakeViewer) close() {
	_ = v.pc.Close()
	v.wg.Wait()
}
