package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/bidding"
)

// TestBidStagesCollector serves each stage's histogram, cumulative by
// bucket, as it is at scrape time.
func TestBidStagesCollector(t *testing.T) {
	st := bidding.NewStages()
	st.Observe(bidding.StageCommit, 800*time.Microsecond)
	st.Observe(bidding.StageCommit, 3*time.Millisecond)
	st.Observe(bidding.StageCommit, 10*time.Second)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewBidStagesCollector(st))
	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`bidcast_bid_stage_seconds_bucket{stage="commit",le="0.0005"} 0`,
		`bidcast_bid_stage_seconds_bucket{stage="commit",le="0.001"} 1`,
		`bidcast_bid_stage_seconds_bucket{stage="commit",le="0.005"} 2`,
		`bidcast_bid_stage_seconds_bucket{stage="commit",le="5"} 2`,
		`bidcast_bid_stage_seconds_bucket{stage="commit",le="+Inf"} 3`,
		`bidcast_bid_stage_seconds_sum{stage="commit"} 10.0038`,
		`bidcast_bid_stage_seconds_count{stage="decided"} 0`,
		`bidcast_bid_stage_seconds_count{stage="ingress_script"} 0`,
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("no %q in:\n%s", want, rec.Body.String())
		}
	}
}
