package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// LotStore is the room actor's auction.Store over Postgres: an accepted bid
// and the lot's new state commit in one transaction, guarded by the lot's
// version and by the fencing token of the claim the room runs for, and a
// close writes the lot's result with its final state.
type LotStore struct {
	// lots is fenced for the room's claim (storage.Lots.Fenced): once a
	// newer claim raised the room's token, every commit fails with
	// storage.ErrFenced and writes nothing.
	lots *storage.Lots
	// roomID and currency fill the columns of a bid row that the actor's
	// records do not carry.
	roomID   string
	currency func(lotID string) string
	// lastAt is the created_at of the last batch's last decision; owned by
	// the room's actor goroutine, the only caller.
	lastAt time.Time
	// stages records StageCommit; commitStart and commitEnd (Unix
	// nanoseconds) time the last commit for the applier, which reads them
	// after the actor answered (StageDecide, StageAfterCommit).
	stages                 *Stages
	commitStart, commitEnd atomic.Int64
	// diverged, when set, is called (on the actor's goroutine; it must
	// not block) when a commit finds the lot at another version than the
	// actor expects: a commit of this room whose answer was lost (Postgres
	// went down between storing it and answering) left the actor behind,
	// and every later commit would fail the same way.
	diverged func()
}

// NewLotStore returns the store for one room, run for the claim whose
// fencing token is fence (FenceFrom; 0 commits unfenced); currency tells
// the currency of a lot the room has loaded.
func NewLotStore(lots *storage.Lots, roomID string, fence int64, currency func(lotID string) string) *LotStore {
	return &LotStore{lots: lots.Fenced(roomID, fence), roomID: roomID, currency: currency}
}

// claimToken is the fencing token of the claim ctx starts roomID for
// (FenceFrom), or 0 when the room runs unfenced.
func claimToken(ctx context.Context, roomID string) (int64, error) {
	f, ok := FenceFrom(ctx)
	if !ok || f.Token == 0 {
		return 0, nil
	}
	if f.RoomID != roomID {
		return 0, fmt.Errorf("start room %s with the fence of room %s", roomID, f.RoomID)
	}
	return f.Token, nil
}

// CommitBatch implements auction.Store: every decision of the batch is a
// row (accepted bids with their proxy bids, rejections with their reason)
// stored with the lot's final state in one transaction. Each decision gets
// its own created_at, one microsecond after the one before, and shares it
// with the proxy bids made in answer to it: the lot's public history groups
// a bid with its proxy bids by it (storage.Bids.HistoryBefore).
//
// A row storage cannot take comes back as *decisionConflict, naming the
// decision, so the pipeline can decide that bid again. A newer claim of the
// room fails it with storage.ErrFenced, which the pipeline retries (it is
// not permanent) until the node stops the room: nothing is written, and the
// bids stay in the room's log for the new owner.
func (s *LotStore) CommitBatch(ctx context.Context, c auction.BatchCommit) error {
	at := time.Now().UTC().Truncate(time.Microsecond)
	if !at.After(s.lastAt) {
		at = s.lastAt.Add(time.Microsecond)
	}
	rows := make([]storage.BidRecord, 0, len(c.Decisions))
	owner := make([]int, 0, len(c.Decisions))
	var notes []storage.Notification
	for i, d := range c.Decisions {
		if d.Outbid != "" && d.Reason == "" {
			notes = append(notes, outbidNote(s.roomID, d))
		}
		if d.NoRecord {
			continue
		}
		outcome := storage.OutcomeAccepted
		if d.Reason != "" {
			outcome = storage.OutcomeRejected
		}
		for j, b := range append([]auction.BidRecord{d.Bid}, d.AutoBids...) {
			if j > 0 && outcome == storage.OutcomeRejected {
				break
			}
			rec := storage.BidRecord{BidID: b.ID, RoomID: s.roomID, LotID: b.LotID, BidderID: b.BidderID,
				Amount: b.Amount.Amount, Currency: b.Amount.Currency, Kind: string(b.Kind), IngressSeq: b.Seq,
				ReceivedAt: b.ReceivedAt, Outcome: outcome, Reason: string(d.Reason), CreatedAt: at}
			if rec.Currency == "" {
				rec.Currency = s.currency(b.LotID)
			}
			rows = append(rows, rec)
			owner = append(owner, i)
		}
		at = at.Add(time.Microsecond)
	}
	var upd *storage.LotUpdate
	if c.Lot != nil {
		u, err := lotUpdate(*c.Lot)
		if err != nil {
			return err
		}
		upd = &u
	}
	start := time.Now()
	err := s.lots.CommitBatch(ctx, s.roomID, rows, upd, notes...)
	end := time.Now()
	s.stages.Observe(StageCommit, end.Sub(start))
	s.commitStart.Store(start.UnixNano())
	s.commitEnd.Store(end.UnixNano())
	var rc *storage.RowConflict
	if errors.As(err, &rc) {
		return &decisionConflict{decision: owner[rc.Row], RowConflict: rc}
	}
	if err != nil {
		return s.mapError(err)
	}
	s.lastAt = at
	return nil
}

// outbidNote is the notification of the bidder d outbid, stored with the
// batch. Its key names the lot, the bid and the bidder, so a batch
// committed again after a conflict does not store it twice.
func outbidNote(roomID string, d auction.Decision) storage.Notification {
	amount := d.HighBid.Amount
	return storage.Notification{UserID: d.Outbid, Kind: storage.NotifyOutbid, RoomID: roomID, LotID: d.Bid.LotID,
		Amount: &amount, Currency: d.HighBid.Currency, DedupeKey: "outbid:" + d.Bid.LotID + ":" + d.Bid.ID + ":" + d.Outbid}
}

// decisionConflict is a storage.RowConflict named by the batch decision
// the row belongs to.
type decisionConflict struct {
	decision int
	*storage.RowConflict
}

func (e *decisionConflict) Unwrap() error { return e.RowConflict }

// CommitLot implements auction.Store.
func (s *LotStore) CommitLot(ctx context.Context, st auction.LotState) error {
	upd, err := lotUpdate(st)
	if err != nil {
		return err
	}
	var res *storage.LotResult
	if st.Result != nil {
		res = &storage.LotResult{
			LotID: st.LotID, RoomID: s.roomID, Outcome: string(st.Result.Status),
			Currency: s.currency(st.LotID), ClosedAt: st.Result.ClosedAt,
		}
		if st.Result.Status == auction.StatusSold {
			winner, bidID, price := st.Result.WinnerID, st.Result.WinningBidID, st.Result.Price.Amount
			res.WinnerID, res.WinningBidID, res.Price = &winner, &bidID, &price
		}
	}
	return s.mapError(s.lots.CommitState(ctx, upd, res))
}

// mapError turns storage's version conflict into the actor's, and reports
// it (diverged): the room's owner holds the fencing token, so no other
// owner wrote the lot. The stored version is ahead because one of this
// room's own commits landed without the actor hearing so (or, for a lot
// being started, because the seller reordered the pending lots meanwhile);
// either way the room reloads what Postgres holds.
func (s *LotStore) mapError(err error) error {
	if err == nil || !errors.Is(err, storage.ErrConflict) {
		return err
	}
	if s.diverged != nil {
		s.diverged()
	}
	return fmt.Errorf("%w: %w", auction.ErrVersionConflict, err)
}

// lotExtras is the part of auction.LotState that has no column of its own;
// it is kept in lots.proxy_state as a JSON object.
type lotExtras struct {
	LiveSince time.Time          `json:"live_since,omitzero"`
	HighSeq   int64              `json:"high_seq,omitempty"`
	BidCount  int64              `json:"bid_count,omitempty"`
	Proxies   []storage.ProxyMax `json:"proxies,omitempty"`
	LastSeq   int64              `json:"last_seq,omitempty"`
}

// lotUpdate converts the actor's state into the row update that expects
// the previous version.
func lotUpdate(st auction.LotState) (storage.LotUpdate, error) {
	extras, err := json.Marshal(lotExtras{LiveSince: st.LiveSince, HighSeq: st.HighSeq, BidCount: st.BidCount,
		Proxies: proxiesToStorage(st.Proxies), LastSeq: st.LastSeq})
	if err != nil {
		return storage.LotUpdate{}, fmt.Errorf("encode state of lot %s: %w", st.LotID, err)
	}
	u := storage.LotUpdate{LotID: st.LotID, ExpectVersion: st.Version - 1, Version: st.Version,
		State: string(st.Status), ProxyState: extras}
	if !st.Deadline.IsZero() {
		d := st.Deadline
		u.Deadline = &d
	}
	if st.Status == auction.StatusPaused {
		rem := st.RemainingMS
		u.RemainingMS = &rem
	}
	if st.HasBid() {
		high, leader, bidID := st.HighBid, st.LeaderID, st.HighBidID
		u.HighBid, u.LeaderID, u.HighBidID = &high, &leader, &bidID
	}
	return u, nil
}

// LotFromStorage converts a stored lot's rules into the actor's Lot.
func LotFromStorage(l storage.Lot) (auction.Lot, error) {
	out := auction.Lot{ID: l.ID, Currency: l.Currency, Opening: l.OpeningPrice, Reserve: l.ReservePrice,
		Version: l.Version}
	if len(l.IncrementTable) > 0 && string(l.IncrementTable) != "null" && string(l.IncrementTable) != "[]" {
		var bands []storage.IncrementBand
		if err := json.Unmarshal(l.IncrementTable, &bands); err != nil {
			return auction.Lot{}, fmt.Errorf("lot %s: decode increment table: %w", l.ID, err)
		}
		out.Increments = incrementsFromStorage(bands)
	}
	var policy struct {
		Kind     auction.Policy       `json:"kind"`
		Tiers    []storage.PolicyTier `json:"tiers"`
		FloorMS  int64                `json:"floor_ms"`
		WindowMS int64                `json:"window_ms"`
		ExtendMS int64                `json:"extend_ms"`
	}
	if len(l.ClockPolicy) > 0 && string(l.ClockPolicy) != "null" {
		if err := json.Unmarshal(l.ClockPolicy, &policy); err != nil {
			return auction.Lot{}, fmt.Errorf("lot %s: decode clock policy: %w", l.ID, err)
		}
	}
	if policy.Kind == "" {
		policy.Kind = auction.PolicySoftClose
	}
	out.Clock = auction.ClockConfig{Policy: policy.Kind, DurationMS: l.DurationMS, FloorMS: policy.FloorMS,
		Tiers: tiersFromStorage(policy.Tiers), ExtendMS: max(policy.WindowMS, policy.ExtendMS)}
	if out.Clock.Policy == auction.PolicySoftClose && out.Clock.ExtendMS == 0 {
		out.Clock.ExtendMS = min(l.DurationMS, 10_000)
	}
	if err := out.Validate(); err != nil {
		return auction.Lot{}, err
	}
	return out, nil
}

// StateFromStorage rebuilds the actor's state of a stored lot; res is the
// lot's result when it has ended.
func StateFromStorage(roomID string, l storage.Lot, res *storage.LotResult) (auction.LotState, error) {
	st := auction.LotState{RoomID: roomID, LotID: l.ID, Status: auction.LotStatus(l.State), Version: l.Version}
	if l.Deadline != nil {
		st.Deadline = *l.Deadline
	}
	if l.RemainingMS != nil {
		st.RemainingMS = *l.RemainingMS
	}
	if l.HighBid != nil && l.LeaderID != nil && l.HighBidID != nil {
		st.HighBid, st.LeaderID, st.HighBidID = *l.HighBid, *l.LeaderID, *l.HighBidID
	}
	if len(l.ProxyState) > 0 && l.ProxyState[0] == '{' {
		var x lotExtras
		if err := json.Unmarshal(l.ProxyState, &x); err != nil {
			return auction.LotState{}, fmt.Errorf("lot %s: decode stored state: %w", l.ID, err)
		}
		st.LiveSince, st.HighSeq, st.BidCount, st.LastSeq = x.LiveSince, x.HighSeq, x.BidCount, x.LastSeq
		st.Proxies = proxiesFromStorage(x.Proxies)
	}
	if res != nil {
		st.Result = resultFromStorage(*res)
	}
	return st, nil
}

// resultFromStorage converts a stored lot result into the actor's.
func resultFromStorage(res storage.LotResult) *auction.LotResult {
	r := &auction.LotResult{Status: auction.LotStatus(res.Outcome), ClosedAt: res.ClosedAt}
	if res.WinnerID != nil && res.WinningBidID != nil && res.Price != nil {
		r.WinnerID, r.WinningBidID = *res.WinnerID, *res.WinningBidID
		r.Price = auction.Money{Amount: *res.Price, Currency: res.Currency}
	}
	return r
}
