package storage

import "time"

// The JSON documents kept in a lot's jsonb columns. Storage owns their
// shape: the field names below are what rows already hold, so they never
// change; the auction engine's own types carry no JSON names and are
// converted at the edge (package bidding).

// IncrementBand is one row of a lot's increment_table: from price From
// (minor units, inclusive) upward, the next bid must be at least Step higher.
type IncrementBand struct {
	From int64 `json:"from"`
	Step int64 `json:"step"`
}

// PolicyTier is one tier of a dynamic clock in a lot's clock_policy: a raise
// of at least RaiseBP basis points cuts CutMS from the clock.
type PolicyTier struct {
	RaiseBP int64 `json:"raise_bp"`
	CutMS   int64 `json:"cut_ms"`
}

// ProxyMax is one bidder's hidden maximum on a lot, as the proxies of a
// lot's proxy_state hold it. Seq is the ingress sequence of the bid that set
// Max (equal maxima go to the lower Seq).
type ProxyMax struct {
	BidderID   string    `json:"bidder_id"`
	Max        int64     `json:"max"`
	Seq        int64     `json:"seq"`
	ReceivedAt time.Time `json:"received_at"`
}
