package api

import (
	"net/http"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// publicBidJSON is one accepted bid in a lot's public history. Kind is
// always "bid": a bid a proxy maximum placed is shown as the plain bid it is
// to everyone else, and the maximum itself is never shown.
type publicBidJSON struct {
	Seq        int64     `json:"seq"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Kind       string    `json:"kind"`
	Bidder     string    `json:"bidder"`
	ReceivedAt time.Time `json:"received_at"`
}

// lotBids is a lot's public bid history, newest first: accepted price bids
// only, each bidder named by their room alias, as the room's events name
// them. Rejected bids and proxy maxima are private to their bidder (see
// myBids).
func (s *server) lotBids(w http.ResponseWriter, r *http.Request, p Principal) error {
	lot, _, err := s.visibleLot(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := s.seqPage(r)
	if err != nil {
		return err
	}
	rows, err := s.bids.HistoryBefore(r.Context(), lot.ID, pg.BeforeSeq(), pg.BeforeAmount(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(b storage.PublicBid) string {
		return cursor{Seq: b.Seq, Amount: b.Amount}.encode()
	})
	writeJSON(w, http.StatusOK, pageOf[publicBidJSON]{NextCursor: next,
		Items: mapSlice(rows, func(b storage.PublicBid) publicBidJSON {
			return publicBidJSON{Seq: b.Seq, Amount: b.Amount, Currency: b.Currency, Kind: "bid",
				Bidder: s.aliases.Of(lot.RoomID, b.BidderID), ReceivedAt: b.ReceivedAt}
		})})
	return nil
}

// myBidJSON is one of the caller's own bids, with its outcome and, when it
// was refused, why.
type myBidJSON struct {
	BidID      string    `json:"bid_id"`
	RoomID     string    `json:"room_id"`
	LotID      string    `json:"lot_id"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Kind       string    `json:"kind"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// myBids lists the caller's bids, accepted or refused, newest first.
func (s *server) myBids(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.bids.ByBidderAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(b storage.BidRecord) string {
		return keyCursor(storage.PageKey{At: b.CreatedAt, ID: b.ID})
	})
	writeJSON(w, http.StatusOK, pageOf[myBidJSON]{NextCursor: next,
		Items: mapSlice(rows, func(b storage.BidRecord) myBidJSON {
			return myBidJSON{BidID: b.BidID, RoomID: b.RoomID, LotID: b.LotID, Amount: b.Amount,
				Currency: b.Currency, Kind: b.Kind, Outcome: b.Outcome, Reason: b.Reason, ReceivedAt: b.ReceivedAt}
		})})
	return nil
}
