package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/signaling"
)

// GatewayStatsSource is what GatewayCollector reads at each scrape;
// *signaling.Gateway implements it.
type GatewayStatsSource interface{ Stats() signaling.Stats }

var _ GatewayStatsSource = (*signaling.Gateway)(nil)

// GatewayCollector exports the WebSocket gateway's counters at scrape
// time (the gateway counts with atomics, so nothing on its hot paths
// touches a metrics library). It implements prometheus.Collector.
type GatewayCollector struct {
	src   GatewayStatsSource
	descs []gatewayDesc
}

// gatewayDesc is one exported counter or gauge and how to read it.
type gatewayDesc struct {
	d    *prometheus.Desc
	kind prometheus.ValueType
	get  func(signaling.Stats) int64
}

// NewGatewayCollector returns the collector of src's counters.
func NewGatewayCollector(src GatewayStatsSource) *GatewayCollector {
	m := func(name, help string, kind prometheus.ValueType, get func(signaling.Stats) int64) gatewayDesc {
		return gatewayDesc{d: prometheus.NewDesc("bidcast_ws_"+name, help, nil, nil), kind: kind, get: get}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return &GatewayCollector{src: src, descs: []gatewayDesc{
		m("connections", "WebSocket connections open on this node.", gauge,
			func(s signaling.Stats) int64 { return s.Connections }),
		m("rooms", "Rooms with connections on this node.", gauge,
			func(s signaling.Stats) int64 { return s.Rooms }),
		m("connections_total", "WebSocket upgrades accepted.", counter,
			func(s signaling.Stats) int64 { return s.ConnectionsTotal }),
		m("rejected_total", "WebSocket upgrades refused (origin, sign-in, caps).", counter,
			func(s signaling.Stats) int64 { return s.Rejected }),
		m("messages_in_total", "Client messages read.", counter,
			func(s signaling.Stats) int64 { return s.MessagesIn }),
		m("messages_out_total", "Messages written to clients (a room.events list counts once).", counter,
			func(s signaling.Stats) int64 { return s.MessagesOut }),
		m("events_relayed_total", "Room events fanned out to this node's connections (once per event).", counter,
			func(s signaling.Stats) int64 { return s.EventsRelayed }),
		m("slow_consumers_total", "Connections closed for falling behind their room.", counter,
			func(s signaling.Stats) int64 { return s.SlowConsumers }),
		m("rate_limited_total", "Client messages refused by a rate limit.", counter,
			func(s signaling.Stats) int64 { return s.RateLimited }),
		m("errors_total", "Error messages sent to clients, rate limits included.", counter,
			func(s signaling.Stats) int64 { return s.Errors }),
		m("bids_total", "Bids taken into the bid pipeline, resubmissions included.", counter,
			func(s signaling.Stats) int64 { return s.Bids }),
	}}
}

// Describe implements prometheus.Collector.
func (c *GatewayCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.d
	}
}

// Collect implements prometheus.Collector.
func (c *GatewayCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.d, d.kind, float64(d.get(s)))
	}
}
