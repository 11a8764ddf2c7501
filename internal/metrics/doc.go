// Package metrics exports the server's state to Prometheus at scrape time,
// so the hot paths never touch a metrics library: SFUCollector turns the
// SFU's stats snapshot into series, BidStagesCollector the bid pipeline's
// per-stage latency histograms (bidding.Stages), and RoomLabels names rooms in labels
// without ever naming a private one (invariant 7: a private room is seen
// only by its seller, admins and holders of its viewer tokens, metrics
// included). Public and Admin are the two ways the registry is served: to
// bearers of METRICS_TOKEN on the public listener, and with pprof on the
// loopback admin listener.
package metrics
