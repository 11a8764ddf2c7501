package auction

import "time"

// Snapshot is what a joining client needs to draw the room: the current lot
// and its clock in server time, the recent bids, and the last event Seq so
// it can apply later events without gaps.
type Snapshot struct {
	RoomID   string `json:"room_id"`
	SellerID string `json:"seller_id"`
	// EventSeq is the Seq of the last event emitted before the snapshot.
	EventSeq   int64     `json:"event_seq"`
	ServerTime time.Time `json:"server_time"`
	// Lot is nil before the first lot starts.
	Lot *LotView `json:"lot,omitempty"`
	// History is the current lot's most recent price bids, oldest first,
	// at most Config.HistoryLimit.
	History    []BidRecord `json:"history,omitempty"`
	SlowModeMS int64       `json:"slow_mode_ms,omitempty"`
}

// LotView is the public view of the current lot: no proxy maxima, no
// reserve amount.
type LotView struct {
	ID       string    `json:"id"`
	Status   LotStatus `json:"status"`
	Policy   Policy    `json:"policy"`
	Opening  Money     `json:"opening"`
	HighBid  Money     `json:"high_bid,omitzero"`
	LeaderID string    `json:"leader_id,omitempty"`
	BidCount int64     `json:"bid_count"`
	NextMin  Money     `json:"next_min,omitzero"`
	// HasReserve says a hidden reserve exists; ReserveMet whether the price
	// reaches it.
	HasReserve  bool       `json:"has_reserve"`
	ReserveMet  bool       `json:"reserve_met"`
	Deadline    time.Time  `json:"deadline,omitzero"`
	RemainingMS int64      `json:"remaining_ms,omitempty"`
	Result      *LotResult `json:"result,omitempty"`
	Version     int64      `json:"version"`
}

// snapshot builds the room's snapshot on the actor's goroutine.
func (r *Room) snapshot(now time.Time) Snapshot {
	s := Snapshot{RoomID: r.cfg.RoomID, SellerID: r.cfg.SellerID, EventSeq: r.eventSeq, ServerTime: now}
	if r.mod != nil {
		s.SlowModeMS = r.mod.slow.Milliseconds()
	}
	c := r.cur
	if c == nil {
		return s
	}
	e := r.lotEvent("")
	s.Lot = &LotView{
		ID: c.lot.ID, Status: c.st.Status, Policy: c.lot.Clock.Policy,
		Opening: Money{Amount: c.lot.Opening, Currency: c.lot.Currency},
		HighBid: e.HighBid, LeaderID: e.LeaderID, BidCount: c.st.BidCount, NextMin: e.NextMin,
		HasReserve: c.lot.Reserve > 0, ReserveMet: c.st.HasBid() && e.ReserveMet,
		Deadline: e.Deadline, RemainingMS: e.RemainingMS, Result: c.st.Result, Version: c.st.Version,
	}
	if n := len(r.hist); n > 0 {
		s.History = make([]BidRecord, 0, n)
		s.History = append(s.History, r.hist[r.histPos:]...)
		s.History = append(s.History, r.hist[:r.histPos]...)
	}
	return s
}

// remember adds an accepted price bid to the bounded history. The buffer is
// allocated on the first bid, so an idle room pays nothing for it.
func (r *Room) remember(b BidRecord) {
	if len(r.hist) < r.cfg.HistoryLimit {
		r.hist = append(r.hist, b)
		return
	}
	r.hist[r.histPos] = b
	r.histPos = (r.histPos + 1) % len(r.hist)
}
