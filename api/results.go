package api

import (
	"net/http"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// resultJSON is how a lot ended. The public sees the winner by their room
// alias, as the room's events and bid history name them; the room's seller,
// admins and the winner themselves see who it is.
type resultJSON struct {
	LotID      string    `json:"lot_id"`
	RoomID     string    `json:"room_id"`
	ItemID     string    `json:"item_id"`
	ItemTitle  string    `json:"item_title"`
	Outcome    string    `json:"outcome"`
	Price      *int64    `json:"price"`
	Currency   string    `json:"currency"`
	Winner     string    `json:"winner,omitempty"`
	WinnerID   *string   `json:"winner_id,omitempty"`
	WinnerName string    `json:"winner_name,omitempty"`
	ClosedAt   time.Time `json:"closed_at"`
}

// toResultJSON shapes a result for a viewer; full is true for those who may
// know the winner.
func (s *server) toResultJSON(v storage.ResultView, full bool) resultJSON {
	out := resultJSON{LotID: v.LotID, RoomID: v.RoomID, ItemID: v.ItemID, ItemTitle: v.ItemTitle,
		Outcome: v.Outcome, Price: v.Price, Currency: v.Currency, ClosedAt: v.ClosedAt}
	if v.WinnerID != nil {
		out.Winner = s.aliases.Of(v.RoomID, *v.WinnerID)
		if full {
			out.WinnerID, out.WinnerName = v.WinnerID, v.WinnerName
		}
	}
	return out
}

func (s *server) lotResult(w http.ResponseWriter, r *http.Request, p Principal) error {
	lot, room, err := s.visibleLot(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.lots.ResultOf(r.Context(), lot.ID)
	if err != nil {
		return err
	}
	full := p.Owns(room.SellerID) || v.WinnerID != nil && *v.WinnerID == p.UserID
	writeJSON(w, http.StatusOK, s.toResultJSON(v, full))
	return nil
}

func (s *server) roomResults(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.visibleRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := s.lots.ResultsOfRoom(r.Context(), room.ID)
	if err != nil {
		return err
	}
	owner := p.Owns(room.SellerID)
	writeJSON(w, http.StatusOK, pageOf[resultJSON]{Items: mapSlice(rows, func(v storage.ResultView) resultJSON {
		return s.toResultJSON(v, owner || v.WinnerID != nil && *v.WinnerID == p.UserID)
	})})
	return nil
}

// myWins lists the lots the caller won, most recent first.
func (s *server) myWins(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.lots.WinsAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(v storage.ResultView) string {
		return keyCursor(storage.PageKey{At: v.ClosedAt, ID: v.LotID})
	})
	writeJSON(w, http.StatusOK, pageOf[resultJSON]{NextCursor: next,
		Items: mapSlice(rows, func(v storage.ResultView) resultJSON { return s.toResultJSON(v, true) })})
	return nil
}
