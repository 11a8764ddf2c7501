package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bidcast/bidcast/signaling"
)

type fixedGatewayStats signaling.Stats

func (f fixedGatewayStats) Stats() signaling.Stats { return signaling.Stats(f) }

// TestGatewayCollector: every counter of the gateway's Stats is exported
// under its name, gauges as gauges and totals as counters.
func TestGatewayCollector(t *testing.T) {
	c := NewGatewayCollector(fixedGatewayStats{Connections: 3, Rooms: 2, ConnectionsTotal: 10, Rejected: 1,
		MessagesIn: 40, MessagesOut: 400, EventsRelayed: 55, SlowConsumers: 4, RateLimited: 6, Errors: 7, Bids: 20})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP bidcast_ws_connections WebSocket connections open on this node.
# TYPE bidcast_ws_connections gauge
bidcast_ws_connections 3
# HELP bidcast_ws_messages_out_total Messages written to clients (a room.events list counts once).
# TYPE bidcast_ws_messages_out_total counter
bidcast_ws_messages_out_total 400
# HELP bidcast_ws_bids_total Bids taken into the bid pipeline, resubmissions included.
# TYPE bidcast_ws_bids_total counter
bidcast_ws_bids_total 20
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bidcast_ws_connections",
		"bidcast_ws_messages_out_total", "bidcast_ws_bids_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c); n != 11 {
		t.Fatalf("%d series, want 11", n)
	}
}

type fixedGroupStats [2]int64

func (f fixedGroupStats) Stats() (int64, int64) { return f[0], f[1] }

// TestCommitGroupCollector: the commit group's two totals are exported as
// counters.
func TestCommitGroupCollector(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCommitGroupCollector(fixedGroupStats{120, 900}))
	want := `
# HELP bidcast_bid_commit_group_batches_total Rooms' bid batches committed through those transactions.
# TYPE bidcast_bid_commit_group_batches_total counter
bidcast_bid_commit_group_batches_total 900
# HELP bidcast_bid_commit_groups_total Transactions that committed rooms' bid batches (a batch committed alone counts as one).
# TYPE bidcast_bid_commit_groups_total counter
bidcast_bid_commit_groups_total 120
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
