package sfu

import (
	"time"

	"github.com/pion/rtcp"
)

// senderReportInterval is how often each viewer track's RTCP sender report
// goes out (Pion's interval).
const senderReportInterval = time.Second

// Sender reports to viewers are the SFU's own, not Pion's report
// interceptor's: that interceptor counts packets on Pion's write chain,
// which the direct path (directsrtp.go) no longer takes, and it takes a lock
// and reads the clock for every packet. A down track notes its RTP clock
// once per frame (downTrack.srRef: the first timestamp of each newer frame
// and when that frame reached the server, so audio and video of one
// publisher map to the same wall clock for lip sync); a report extrapolates
// from it to the moment it is sent. Reports also give viewers what they
// echo back for the round-trip time (onReception).

// reportPhases spreads the reports over the interval: each tick serves
// the sessions of one phase, so that a thousand viewers' reports do not
// all compete with the writers in the same millisecond.
const reportPhases = 10

// reportLoop sends every viewer session's sender reports each
// senderReportInterval.
func (srv *Server) reportLoop() {
	defer srv.wg.Done()
	tick := time.NewTicker(senderReportInterval / reportPhases)
	defer tick.Stop()
	for phase := 0; ; phase = (phase + 1) % reportPhases {
		select {
		case <-srv.done:
			return
		case <-tick.C:
			srv.sendReports(phase)
		}
	}
}

// sendReports writes the reports of each viewer session of one phase on a
// goroutine of its own, so that a viewer whose ICE-TCP window is full
// holds up nobody; a session still writing its previous reports skips
// this round.
func (srv *Server) sendReports(phase int) {
	srv.mu.Lock()
	viewers := make([]*session, 0, srv.viewers/reportPhases+1)
	for _, s := range srv.sessions {
		if !s.publish && reportPhase(s.id) == phase {
			viewers = append(viewers, s)
		}
	}
	srv.mu.Unlock()
	for _, s := range viewers {
		if s.reporting.CompareAndSwap(false, true) {
			srv.goAsync(func() {
				defer s.reporting.Store(false)
				s.sendReports(time.Now())
			})
		}
	}
}

// reportPhase spreads session IDs (random hex) over the phases.
func reportPhase(id string) int {
	sum := 0
	for i := 0; i < len(id); i++ {
		sum += int(id[i])
	}
	return sum % reportPhases
}

// sendReports writes one compound packet with a sender report for each of
// the session's tracks that has sent media.
func (s *session) sendReports(wall time.Time) {
	now := int64(wall.Sub(s.srv.epoch))
	var pkts []rtcp.Packet
	for _, d := range s.downTracks() {
		if r := d.senderReport(now, wall); r != nil {
			pkts = append(pkts, r)
		}
	}
	if len(pkts) > 0 {
		_ = s.pc.WriteRTCP(pkts) // a closing peer refuses it: nothing to do
	}
}

// senderReport describes what the track has sent as of now (Server.now())
// and wall; nil before its first packet (RFC 3550 6.4: such a source sends
// no sender report).
func (d *downTrack) senderReport(now int64, wall time.Time) *rtcp.SenderReport {
	if !d.bound.Load() || d.closed.Load() {
		return nil
	}
	d.srMu.Lock()
	ref := d.srRef
	d.srMu.Unlock()
	if !ref.set {
		return nil
	}
	elapsed := max(now-ref.at, 0)
	return &rtcp.SenderReport{
		SSRC:        d.ssrc,
		NTPTime:     ntpTime(wall),
		RTPTime:     ref.ts + uint32(uint64(elapsed)/1e3*uint64(src0(d.codec.ClockRate))/1e6),
		PacketCount: uint32(d.st.packets.Load() + d.st.rtx.Load()),
		OctetCount:  uint32(d.st.bytes.Load()),
	}
}

// ntpTime returns t as a 64-bit NTP timestamp (seconds since 1900 in the
// high 32 bits, the fraction in the low 32).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}
