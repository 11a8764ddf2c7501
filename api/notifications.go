package api

import (
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// notificationJSON is one message in the caller's inbox: someone outbid
// them, they won a lot, (for a seller) a lot sold or closed unsold, or a
// seller they follow went live (no lot then).
type notificationJSON struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	RoomID    string     `json:"room_id"`
	RoomTitle string     `json:"room_title"`
	LotID     string     `json:"lot_id,omitempty"`
	ItemTitle string     `json:"item_title"`
	Amount    *int64     `json:"amount"`
	Currency  string     `json:"currency"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

func toNotificationJSON(n storage.Notification) notificationJSON {
	return notificationJSON{ID: n.ID, Kind: n.Kind, RoomID: n.RoomID, RoomTitle: n.RoomTitle, LotID: n.LotID, ItemTitle: n.ItemTitle,
		Amount: n.Amount, Currency: n.Currency, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
}

// myNotifications lists the caller's notifications, newest first.
func (s *server) myNotifications(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.notes.ListAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(n storage.Notification) string {
		return keyCursor(storage.PageKey{At: n.CreatedAt, ID: n.ID})
	})
	writeJSON(w, http.StatusOK, pageOf[notificationJSON]{NextCursor: next, Items: mapSlice(rows, toNotificationJSON)})
	return nil
}

// markNotificationsRead marks the caller's notifications read through the
// one named by up_to (the newest the client has shown) and reports how many
// changed. An id that is not the caller's marks nothing.
func (s *server) markNotificationsRead(w http.ResponseWriter, r *http.Request, p Principal) error {
	var in struct {
		UpTo string `json:"up_to"`
	}
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if !ids.Valid(in.UpTo) {
		return badParam("up_to", "must be the id of a notification")
	}
	n, err := s.notes.MarkReadThrough(r.Context(), p.UserID, in.UpTo)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"marked": n})
	return nil
}
