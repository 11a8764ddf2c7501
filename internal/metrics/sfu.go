package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/sfu"
)

// StatsSource is what the collector reads at each scrape; *sfu.Server
// implements it.
type StatsSource interface{ Stats() []sfu.RoomStats }

var _ StatsSource = (*sfu.Server)(nil)

// SFUCollector turns the SFU's stats snapshot into Prometheus metrics at
// scrape time, so the media path never touches a metrics library. Publisher
// tracks are labelled by room, kind and layer; viewers are summed per room
// (a label per viewer would grow without bound with thousands of viewers).
// Rooms are named by roomLabel (RoomLabels.Label names private rooms by a
// pseudonym). It implements prometheus.Collector.
type SFUCollector struct {
	srv       StatsSource
	roomLabel func(roomID string) string

	pubBitrate, pubPackets, pubLost, pubPLIs, pubKeyframes *prometheus.Desc
	subscribers, subBitrate, subNACKs, subRetrans, subPLIs *prometheus.Desc
	subDropped, subRTTMax, subLossMax, subLatencyMax       *prometheus.Desc
}

// NewSFUCollector returns the collector of srv's stats.
func NewSFUCollector(srv StatsSource, roomLabel func(string) string) *SFUCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("bidcast_sfu_"+name, help, labels, nil)
	}
	track := []string{"room", "kind", "layer"}
	room := []string{"room"}
	return &SFUCollector{
		srv:           srv,
		roomLabel:     roomLabel,
		pubBitrate:    d("publisher_bitrate_bps", "Bitrate received from the publisher, per track.", track...),
		pubPackets:    d("publisher_packets_total", "RTP packets received from the publisher.", track...),
		pubLost:       d("publisher_lost_packets_total", "Sequence gaps seen on the publisher's tracks.", track...),
		pubPLIs:       d("publisher_plis_sent_total", "Keyframe requests sent to the publisher after throttling.", track...),
		pubKeyframes:  d("publisher_keyframes_total", "Keyframes received from the publisher.", track...),
		subscribers:   d("subscribers", "Viewers connected to the room.", room...),
		subBitrate:    d("subscriber_bitrate_bps", "Bitrate sent to all viewers of the room, summed.", room...),
		subNACKs:      d("subscriber_nacks", "NACKed packets asked for by the connected viewers, summed (falls when viewers leave).", room...),
		subRetrans:    d("subscriber_retransmitted", "Packets retransmitted to the connected viewers, summed (falls when viewers leave).", room...),
		subPLIs:       d("subscriber_plis", "PLIs received from the connected viewers, summed (falls when viewers leave).", room...),
		subDropped:    d("subscriber_dropped_packets", "Packets skipped for the connected, congested viewers, summed (falls when viewers leave).", room...),
		subRTTMax:     d("subscriber_rtt_max_seconds", "Largest round-trip time among the room's viewers.", room...),
		subLossMax:    d("subscriber_fraction_lost_max", "Largest fraction lost reported by a viewer.", room...),
		subLatencyMax: d("forwarding_latency_max_seconds", "Largest in-server forwarding latency among the room's viewers.", room...),
	}
}

// Describe implements prometheus.Collector.
func (c *SFUCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pubBitrate, c.pubPackets, c.pubLost, c.pubPLIs, c.pubKeyframes,
		c.subscribers, c.subBitrate, c.subNACKs, c.subRetrans, c.subPLIs, c.subDropped, c.subRTTMax,
		c.subLossMax, c.subLatencyMax} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *SFUCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, r := range c.srv.Stats() {
		room := c.roomLabel(r.RoomID)
		if r.Publisher != nil {
			for _, t := range r.Publisher.Tracks {
				l := []string{room, t.Kind, t.RID}
				gauge(c.pubBitrate, float64(t.BitrateBps), l...)
				counter(c.pubPackets, t.Packets, l...)
				counter(c.pubLost, t.Lost, l...)
				counter(c.pubPLIs, t.PLIsSent, l...)
				counter(c.pubKeyframes, t.Keyframes, l...)
			}
		}
		var bitrate, nacks, retrans, plis, dropped uint64
		var rtt, latency float64
		var loss float64
		for _, s := range r.Subscribers {
			for _, t := range s.Tracks {
				bitrate += t.BitrateBps
				nacks += t.NACKs
				retrans += t.Retransmitted
				plis += t.PLIs
				dropped += t.Dropped
				rtt = max(rtt, t.RTT.Seconds())
				loss = max(loss, t.FractionLost)
				latency = max(latency, t.MaxLatency.Seconds())
			}
		}
		gauge(c.subscribers, float64(len(r.Subscribers)), room)
		gauge(c.subBitrate, float64(bitrate), room)
		gauge(c.subNACKs, float64(nacks), room)
		gauge(c.subRetrans, float64(retrans), room)
		gauge(c.subPLIs, float64(plis), room)
		gauge(c.subDropped, float64(dropped), room)
		gauge(c.subRTTMax, rtt, room)
		gauge(c.subLossMax, loss, room)
		gauge(c.subLatencyMax, latency, room)
	}
}
