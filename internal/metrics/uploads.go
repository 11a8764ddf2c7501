package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/media"
)

// UploadStatsSource is what UploadsCollector reads at each scrape;
// *media.Service implements it.
type UploadStatsSource interface{ UploadStats() media.UploadStats }

var _ UploadStatsSource = (*media.Service)(nil)

// UploadsCollector exports the counters of resumable (tus) uploads at
// scrape time: the bytes received (with those of requests cut short, so
// what resuming costs shows against the files' sizes) and the uploads
// created, finished, refused and expired. It implements
// prometheus.Collector.
type UploadsCollector struct {
	src                                        UploadStatsSource
	bytes, created, finished, refused, expired *prometheus.Desc
}

// NewUploadsCollector returns the collector of src's upload counters.
func NewUploadsCollector(src UploadStatsSource) *UploadsCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("bidcast_media_"+name, help, nil, nil)
	}
	return &UploadsCollector{
		src:      src,
		bytes:    d("tus_bytes_received_total", "Bytes of resumable-upload bodies stored, including requests cut short."),
		created:  d("tus_uploads_created_total", "Resumable uploads created."),
		finished: d("tus_uploads_finished_total", "Resumable uploads whose last byte arrived (then checked)."),
		refused:  d("tus_uploads_refused_total", "Resumable uploads refused by the checks and removed."),
		expired:  d("tus_uploads_expired_total", "Unfinished resumable uploads removed at their expiry."),
	}
}

// Describe implements prometheus.Collector.
func (c *UploadsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytes, c.created, c.finished, c.refused, c.expired} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *UploadsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.UploadStats()
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{{c.bytes, s.BytesReceived}, {c.created, s.Created}, {c.finished, s.Finished}, {c.refused, s.Refused}, {c.expired, s.Expired}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
