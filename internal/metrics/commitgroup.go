package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/storage"
)

// CommitGroupStats is what CommitGroupCollector reads at each scrape;
// *storage.CommitGroup implements it.
type CommitGroupStats interface {
	Stats() (groups, batches int64)
}

var _ CommitGroupStats = (*storage.CommitGroup)(nil)

// CommitGroupCollector exports how many transactions the node's bid commit
// group ran and how many rooms' batches they carried: their ratio is the
// number of rooms sharing one Postgres commit. It implements
// prometheus.Collector.
type CommitGroupCollector struct {
	src             CommitGroupStats
	groups, batches *prometheus.Desc
}

// NewCommitGroupCollector returns the collector of src's counters.
func NewCommitGroupCollector(src CommitGroupStats) *CommitGroupCollector {
	return &CommitGroupCollector{src: src,
		groups: prometheus.NewDesc("bidcast_bid_commit_groups_total",
			"Transactions that committed rooms' bid batches (a batch committed alone counts as one).", nil, nil),
		batches: prometheus.NewDesc("bidcast_bid_commit_group_batches_total",
			"Rooms' bid batches committed through those transactions.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *CommitGroupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.groups
	ch <- c.batches
}

// Collect implements prometheus.Collector.
func (c *CommitGroupCollector) Collect(ch chan<- prometheus.Metric) {
	groups, batches := c.src.Stats()
	ch <- prometheus.MustNewConstMetric(c.groups, prometheus.CounterValue, float64(groups))
	ch <- prometheus.MustNewConstMetric(c.batches, prometheus.CounterValue, float64(batches))
}
