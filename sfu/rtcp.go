package sfu

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// rtcpLoop reads a viewer's feedback for one down track until the sender
// stops. Reading is also what lets Pion's interceptors see the RTCP.
func (d *downTrack) rtcpLoop(sender *webrtc.RTPSender) {
	defer d.srv.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			d.handleRTCP(pkt)
		}
	}
}

func (d *downTrack) handleRTCP(pkt rtcp.Packet) {
	switch p := pkt.(type) {
	case *rtcp.TransportLayerNack:
		for _, pair := range p.Nacks {
			pair.Range(func(seq uint16) bool {
				d.st.nacks.Add(1)
				d.retransmit(seq)
				return true
			})
		}
	case *rtcp.PictureLossIndication:
		d.st.plis.Add(1)
		d.keyframeRequest()
	case *rtcp.FullIntraRequest:
		// Forwarded as a PLI: a FIR needs per-sender sequence numbers the
		// publisher would not recognise, and both yield a keyframe.
		d.st.firs.Add(1)
		d.keyframeRequest()
	case *rtcp.ReceiverEstimatedMaximumBitrate:
		if d.est != nil {
			d.est.OnREMB(uint64(p.Bitrate))
		}
	case *rtcp.ReceiverReport:
		for _, r := range p.Reports {
			if r.SSRC == d.ssrc {
				d.onReception(r)
			}
		}
	case *rtcp.SenderReport:
		for _, r := range p.Reports {
			if r.SSRC == d.ssrc {
				d.onReception(r)
			}
		}
	}
}

// keyframeRequest forwards a viewer's PLI to the layer it watches (or is
// switching to); the publisher track throttles requests.
func (d *downTrack) keyframeRequest() {
	if t := d.target.Load(); t != nil {
		t.requestKeyframe()
	}
}

func (d *downTrack) onReception(r rtcp.ReceptionReport) {
	lost := float64(r.FractionLost) / 256
	d.st.fractionLost.Store(uint64(lost * 1e6))
	if d.est != nil {
		d.est.OnReceiverReport(lost, d.st.bitrate.Load())
	}
	if r.LastSenderReport != 0 {
		// RTT = now - LSR - DLSR, all in 1/65536 s (RFC 3550 6.4.1).
		rtt := ntpMiddle(time.Now()) - r.LastSenderReport - r.Delay
		if int32(rtt) > 0 {
			d.st.rttMicros.Store(uint64(rtt) * 1e6 / 65536)
		}
	}
}

// ntpMiddle returns the middle 32 bits of t as an NTP timestamp.
func ntpMiddle(t time.Time) uint32 { return uint32(ntpTime(t) >> 16) }
