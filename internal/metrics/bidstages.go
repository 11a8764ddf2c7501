package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/bidding"
)

// BidStagesSource is what BidStagesCollector reads at each scrape;
// *bidding.Stages implements it.
type BidStagesSource interface {
	Snapshot() []bidding.StageHistogram
}

var _ BidStagesSource = (*bidding.Stages)(nil)

// BidStagesCollector exports the bid pipeline's per-stage latency
// histograms as bidcast_bid_stage_seconds{stage}, read at scrape time so
// the bid path only adds to atomic counters. It implements
// prometheus.Collector.
type BidStagesCollector struct {
	src  BidStagesSource
	desc *prometheus.Desc
}

// NewBidStagesCollector returns the collector of src's histograms.
func NewBidStagesCollector(src BidStagesSource) *BidStagesCollector {
	return &BidStagesCollector{src: src, desc: prometheus.NewDesc("bidcast_bid_stage_seconds",
		"Time a bid or a batch of bids spends in each stage of the bid pipeline (see bidding.Stage).",
		[]string{"stage"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *BidStagesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *BidStagesCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.src.Snapshot() {
		buckets := make(map[float64]uint64, len(bidding.StageBuckets))
		var cum uint64
		for i, le := range bidding.StageBuckets {
			cum += h.Counts[i]
			buckets[le.Seconds()] = cum
		}
		ch <- prometheus.MustNewConstHistogram(c.desc, h.Count(), h.Sum.Seconds(), buckets, h.Stage)
	}
}
