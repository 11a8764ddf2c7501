package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// lotJSON is a lot as the API shows it. The reserve is hidden from everyone
// but the room's seller and admins (a hidden reserve is part of the rules);
// others learn only whether it has been met.
type lotJSON struct {
	ID             string          `json:"id"`
	RoomID         string          `json:"room_id"`
	Item           lotItemJSON     `json:"item"`
	Position       int             `json:"position"`
	Currency       string          `json:"currency"`
	OpeningPrice   int64           `json:"opening_price"`
	ReservePrice   *int64          `json:"reserve_price,omitempty"`
	ReserveMet     bool            `json:"reserve_met"`
	IncrementTable json.RawMessage `json:"increment_table"`
	ClockPolicy    json.RawMessage `json:"clock_policy"`
	DurationMS     int64           `json:"duration_ms"`
	State          string          `json:"state"`
	Deadline       *time.Time      `json:"deadline"`
	HighBid        *int64          `json:"high_bid"`
	Version        int64           `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
}

// lotItemJSON is the part of the item a lot shows to bidders.
type lotItemJSON struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category"`
	// Media are the item's photos and clips in display order: the ready ones
	// for bidders, every one (with its status) for the seller.
	Media []mediaJSON `json:"media"`
}

// withMedia adds the item's media to a lot's JSON.
func (s *server) withMedia(out lotJSON, refs []storage.MediaRef, owner bool) lotJSON {
	out.Item.Media = []mediaJSON{}
	for _, m := range refs {
		if owner || m.Status == "ready" {
			out.Item.Media = append(out.Item.Media, s.toMediaJSON(m))
		}
	}
	return out
}

func toLotJSON(l storage.Lot, it storage.Item, owner bool) lotJSON {
	out := lotJSON{ID: l.ID, RoomID: l.RoomID, Position: l.Position, Currency: l.Currency,
		OpeningPrice: l.OpeningPrice, IncrementTable: l.IncrementTable, ClockPolicy: l.ClockPolicy,
		DurationMS: l.DurationMS, State: l.State, Deadline: l.Deadline, HighBid: l.HighBid,
		Version: l.Version, CreatedAt: l.CreatedAt,
		ReserveMet: l.HighBid != nil && *l.HighBid >= l.ReservePrice,
		Item:       lotItemJSON{ID: it.ID, Title: it.Title, Description: it.Description, Category: it.Category}}
	if owner {
		reserve := l.ReservePrice
		out.ReservePrice = &reserve
	}
	return out
}

// lotInput is the body that adds an item to a room as a lot.
type lotInput struct {
	ItemID         string       `json:"item_id"`
	Currency       string       `json:"currency"`
	OpeningPrice   *int64       `json:"opening_price"`
	ReservePrice   *int64       `json:"reserve_price"`
	IncrementTable []band       `json:"increment_table"`
	ClockPolicy    *clockPolicy `json:"clock_policy"`
	DurationMS     *int64       `json:"duration_ms"`
}

// validate checks every field, in the order they appear in the document.
func (in lotInput) validate() error {
	switch {
	case in.ItemID == "":
		return invalid("item_id", "is required")
	case !ids.Valid(in.ItemID):
		return invalid("item_id", "must be a UUID")
	case !currencyRE.MatchString(in.Currency):
		return invalid("currency", "must be an ISO 4217 code such as EUR")
	case in.OpeningPrice == nil:
		return invalid("opening_price", "is required")
	case *in.OpeningPrice < 0 || *in.OpeningPrice > maxAmount:
		return invalid("opening_price", "must be from 0 to %d minor units", maxAmount)
	case in.ReservePrice != nil && (*in.ReservePrice < 0 || *in.ReservePrice > maxAmount):
		return invalid("reserve_price", "must be from 0 to %d minor units", maxAmount)
	case in.DurationMS == nil:
		return invalid("duration_ms", "is required")
	case *in.DurationMS < minDurationMS || *in.DurationMS > maxDurationMS:
		return invalid("duration_ms", "must be from %d to %d ms", minDurationMS, maxDurationMS)
	case in.ClockPolicy == nil:
		return invalid("clock_policy", "is required")
	}
	if err := checkIncrements("increment_table", in.IncrementTable); err != nil {
		return err
	}
	return in.ClockPolicy.check("clock_policy", *in.DurationMS)
}

// visibleLot loads a lot and its room, if the caller may read the room.
func (s *server) visibleLot(ctx context.Context, p Principal, id string) (storage.Lot, storage.Room, error) {
	lot, err := s.lots.Get(ctx, id)
	if err != nil {
		return storage.Lot{}, storage.Room{}, err
	}
	room, err := s.visibleRoom(ctx, p, lot.RoomID)
	if err != nil {
		return storage.Lot{}, storage.Room{}, err
	}
	return lot, room, nil
}

func (s *server) getLot(w http.ResponseWriter, r *http.Request, p Principal) error {
	lot, room, err := s.visibleLot(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	it, err := s.items.Get(r.Context(), lot.ItemID)
	if err != nil {
		return err
	}
	media, err := s.items.MediaOf(r.Context(), []string{it.ID})
	if err != nil {
		return err
	}
	owner := p.Owns(room.SellerID)
	setETag(w, lot.Version)
	writeJSON(w, http.StatusOK, s.withMedia(toLotJSON(lot, it, owner), media[it.ID], owner))
	return nil
}

// listLots lists a room's lots in queue order. A show has tens of lots, not
// thousands, so the listing is not paged.
func (s *server) listLots(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.visibleRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	lots, err := s.lots.ListByRoom(r.Context(), room.ID)
	if err != nil {
		return err
	}
	items, err := s.items.GetMany(r.Context(), mapSlice(lots, func(l storage.Lot) string { return l.ItemID }))
	if err != nil {
		return err
	}
	media, err := s.items.MediaOf(r.Context(), mapSlice(lots, func(l storage.Lot) string { return l.ItemID }))
	if err != nil {
		return err
	}
	owner := p.Owns(room.SellerID)
	writeJSON(w, http.StatusOK, pageOf[lotJSON]{Items: mapSlice(lots, func(l storage.Lot) lotJSON {
		return s.withMedia(toLotJSON(l, items[l.ItemID], owner), media[l.ItemID], owner)
	})})
	return nil
}

func (s *server) addLot(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in lotInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return conflict("the room has ended")
	}
	// The item must be the room's seller's own, even when an admin acts:
	// a show sells its seller's catalogue.
	it, err := s.items.Get(r.Context(), in.ItemID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && it.SellerID != room.SellerID {
		return invalid("item_id", "no such item in the seller's catalogue")
	}
	if err != nil {
		return err
	}
	lot := storage.Lot{RoomID: room.ID, ItemID: it.ID, Currency: in.Currency, OpeningPrice: *in.OpeningPrice,
		IncrementTable: rawJSON(in.IncrementTable), ClockPolicy: rawJSON(in.ClockPolicy), DurationMS: *in.DurationMS}
	if in.ReservePrice != nil {
		lot.ReservePrice = *in.ReservePrice
	}
	out, err := s.lots.Add(r.Context(), lot)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/lots/"+out.ID)
	setETag(w, out.Version)
	media, err := s.items.MediaOf(r.Context(), []string{it.ID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.withMedia(toLotJSON(out, it, true), media[it.ID], true))
	return nil
}

// orderInput is the body of a reorder: every pending lot of the room, in
// the new order.
type orderInput struct {
	LotIDs []string `json:"lot_ids"`
}

func (s *server) reorderLots(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in orderInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.LotIDs == nil {
		return invalid("lot_ids", "is required")
	}
	if len(in.LotIDs) > 1000 {
		return invalid("lot_ids", "has more than 1000 lots")
	}
	for i, id := range in.LotIDs {
		if !ids.Valid(id) {
			return invalid("lot_ids["+itoa(i)+"]", "must be a UUID")
		}
	}
	err = s.lots.Reorder(r.Context(), room.ID, in.LotIDs)
	if errors.Is(err, storage.ErrConflict) {
		return conflict("lot_ids must list every pending lot of the room exactly once")
	}
	if err != nil {
		return err
	}
	return s.listLots(w, r, p)
}

// removeLot deletes a lot that has not started; a lot that has run is part
// of the show's record.
func (s *server) removeLot(w http.ResponseWriter, r *http.Request, p Principal) error {
	lot, err := s.lots.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.ownRoom(r.Context(), p, lot.RoomID); err != nil {
		return err
	}
	if err := optionalIfMatch(r, lot.Version); err != nil {
		return err
	}
	err = s.lots.RemovePending(r.Context(), lot.ID)
	if errors.Is(err, storage.ErrConflict) {
		return conflict("only a pending lot can be removed")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
