package auction

import "time"

// Snapshot is what a joining client needs to draw the room: the current lot
// and its clock in server time, the recent bids, and the last event Seq so
// it can apply later events without gaps.
type Snapshot struct {
	RoomID   string
	SellerID string
	// EventSeq is the Seq of the last event emitted before the snapshot.
	EventSeq   int64
	ServerTime time.Time
	// Lot is nil before the first lot starts.
	Lot *LotView
	// History is the current lot's most recent price bids, oldest first,
	// at most Config.HistoryLimit.
	History    []BidRecord
	SlowModeMS int64
}

// LotView is the public view of the current lot: no proxy maxima, no
// reserve amount.
type LotView struct {
	ID       string
	Status   LotStatus
	Policy   Policy
	Opening  Money
	HighBid  Money
	LeaderID string
	BidCount int64
	NextMin  Money
	// HasReserve says a hidden reserve exists; ReserveMet whether the price
	// reaches it.
	HasReserve  bool
	ReserveMet  bool
	Deadline    time.Time
	RemainingMS int64
	Result      *LotResult
	Version     int64
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
