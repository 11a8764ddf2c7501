package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// roomJSON is a room (a live show) as the API shows it.
type roomJSON struct {
	ID          string     `json:"id"`
	SellerID    string     `json:"seller_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Public      bool       `json:"public"`
	ScheduledAt *time.Time `json:"scheduled_at"`
	StartedAt   *time.Time `json:"started_at"`
	EndedAt     *time.Time `json:"ended_at"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	// PublishToken is set only in the answer to create: the server keeps
	// its hash alone, so it can never be shown again.
	PublishToken string `json:"publish_token,omitempty"`
	// GuestsMayBid: guest accounts may bid in this room.
	GuestsMayBid bool `json:"guests_may_bid"`
}

func toRoomJSON(r storage.Room) roomJSON {
	return roomJSON{ID: r.ID, SellerID: r.SellerID, Title: r.Title, Description: r.Description,
		Status: r.Status, Public: r.Public, ScheduledAt: r.ScheduledAt, StartedAt: r.StartedAt,
		EndedAt: r.EndedAt, Version: r.Version, CreatedAt: r.CreatedAt, GuestsMayBid: r.GuestsMayBid}
}

// roomInput is the body of create and update; on update absent fields keep
// their value.
type roomInput struct {
	Title       *string    `json:"title"`
	Description *string    `json:"description"`
	Public      *bool      `json:"public"`
	ScheduledAt *time.Time `json:"scheduled_at"`
	// GuestsMayBid lets guest accounts bid in the room; off by default.
	GuestsMayBid *bool `json:"guests_may_bid"`
}

func (in roomInput) validate(now time.Time) error {
	if in.Title != nil {
		if err := checkText("title", *in.Title, 1, 200); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := checkText("description", *in.Description, 0, 10000); err != nil {
			return err
		}
	}
	if in.ScheduledAt != nil {
		return checkSchedule("scheduled_at", *in.ScheduledAt, now)
	}
	return nil
}

// checkSchedule refuses start times in the past (a minute of slack for
// clocks) or absurdly far ahead.
func checkSchedule(field string, at, now time.Time) error {
	switch {
	case at.Before(now.Add(-time.Minute)):
		return invalid(field, "must not be in the past")
	case at.After(now.AddDate(2, 0, 0)):
		return invalid(field, "must be within two years")
	}
	return nil
}

func (s *server) createRoom(w http.ResponseWriter, r *http.Request, p Principal) error {
	var in roomInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Title == nil {
		return invalid("title", "is required")
	}
	if err := in.validate(s.cfg.Now()); err != nil {
		return err
	}
	nr := storage.NewRoom{SellerID: p.UserID, Title: *in.Title, Public: true, ScheduledAt: in.ScheduledAt}
	if in.Description != nil {
		nr.Description = *in.Description
	}
	if in.Public != nil {
		nr.Public = *in.Public
	}
	if in.GuestsMayBid != nil {
		nr.GuestsMayBid = *in.GuestsMayBid
	}
	room, token, err := s.rooms.Create(r.Context(), nr)
	if err != nil {
		return err
	}
	out := toRoomJSON(room)
	out.PublishToken = token
	w.Header().Set("Location", Prefix+"/rooms/"+room.ID)
	w.Header().Set("Cache-Control", "no-store")
	setETag(w, room.Version)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// visibleRoom loads a room the caller may read: its seller and admins see
// every room; everyone else sees public rooms that are not drafts, and a
// private one only with a viewer token for it (X-Viewer-Token). A room the
// caller may not see is "missing", so its existence does not leak.
func (s *server) visibleRoom(ctx context.Context, p Principal, id string) (storage.Room, error) {
	room, err := s.rooms.Get(ctx, id)
	if err != nil {
		return storage.Room{}, err
	}
	if room.Status == storage.RoomDraft && !p.Owns(room.SellerID) {
		return storage.Room{}, errNotFound
	}
	if !s.mayView(ctx, p, room) {
		return storage.Room{}, errNotFound
	}
	return room, nil
}

// ownRoom loads a room the caller may change; others' rooms are "missing".
func (s *server) ownRoom(ctx context.Context, p Principal, id string) (storage.Room, error) {
	room, err := s.rooms.Get(ctx, id)
	if err != nil {
		return storage.Room{}, err
	}
	if !p.Owns(room.SellerID) {
		return storage.Room{}, errNotFound
	}
	return room, nil
}

func (s *server) getRoom(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.visibleRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	setETag(w, room.Version)
	writeJSON(w, http.StatusOK, toRoomJSON(room))
	return nil
}

// listStatus maps the listing names clients use to stored statuses.
var listStatus = map[string]string{
	"live":     storage.RoomLive,
	"upcoming": storage.RoomScheduled,
	"ended":    storage.RoomEnded,
}

// listRooms lists live, upcoming or ended rooms. Unlisted rooms appear only
// in their seller's own listing (seller=me) and to admins.
func (s *server) listRooms(w http.ResponseWriter, r *http.Request, p Principal) error {
	q := r.URL.Query()
	name := q.Get("status")
	if name == "" {
		name = "live"
	}
	status, ok := listStatus[name]
	if !ok {
		return badParam("status", "must be live, upcoming or ended")
	}
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	f := storage.RoomFilter{Status: status, PublicOnly: !p.Admin(), After: pg.After(), Limit: pg.Limit + 1}
	switch sel := q.Get("seller"); {
	case sel == "":
	case sel == "me":
		if p.Anonymous() {
			return errUnauthorized
		}
		f.SellerID, f.PublicOnly = p.UserID, false
	case ids.Valid(sel):
		f.SellerID = sel
	default:
		return badParam("seller", "must be a user ID or \"me\"")
	}
	rows, err := s.rooms.ListPage(r.Context(), f)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(room storage.Room) string {
		return keyCursor(storage.RoomSortKey(room))
	})
	writeJSON(w, http.StatusOK, pageOf[roomJSON]{Items: mapSlice(rows, toRoomJSON), NextCursor: next})
	return nil
}

func (s *server) updateRoom(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in roomInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r, room.Version)
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return conflict("the room has ended")
	}
	if err := in.validate(s.cfg.Now()); err != nil {
		return err
	}
	c := storage.RoomChange{ID: room.ID, Version: version, Title: room.Title, Description: room.Description,
		Public: room.Public, ScheduledAt: room.ScheduledAt, GuestsMayBid: room.GuestsMayBid}
	if in.Title != nil {
		c.Title = *in.Title
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.Public != nil {
		c.Public = *in.Public
	}
	if in.GuestsMayBid != nil {
		c.GuestsMayBid = *in.GuestsMayBid
	}
	if in.ScheduledAt != nil {
		c.ScheduledAt = in.ScheduledAt
	}
	out, err := s.rooms.UpdateDetails(r.Context(), c)
	if errors.Is(err, storage.ErrConflict) {
		return errStale
	}
	if err != nil {
		return err
	}
	if room.Public && !out.Public {
		// Open connections of viewers who may no longer watch are closed
		// on every node.
		if err := accessnotice.Publish(r.Context(), s.rdb, accessnotice.Notice{RoomID: out.ID}); err != nil {
			s.log.Warn("room made private, but open connections were not told", "room", out.ID, "err", err)
		}
	}
	setETag(w, out.Version)
	writeJSON(w, http.StatusOK, toRoomJSON(out))
	return nil
}

// scheduleInput is the body of the schedule action.
type scheduleInput struct {
	ScheduledAt *time.Time `json:"scheduled_at"`
}

func (s *server) scheduleRoom(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in scheduleInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.ScheduledAt == nil {
		return invalid("scheduled_at", "is required")
	}
	if err := checkSchedule("scheduled_at", *in.ScheduledAt, s.cfg.Now()); err != nil {
		return err
	}
	if err := optionalIfMatch(r, room.Version); err != nil {
		return err
	}
	if room.Status == storage.RoomLive || room.Status == storage.RoomEnded {
		return conflict("a %s room cannot be rescheduled", room.Status)
	}
	out, err := s.rooms.Schedule(r.Context(), room.ID, *in.ScheduledAt)
	if err != nil {
		return err
	}
	setETag(w, out.Version)
	writeJSON(w, http.StatusOK, toRoomJSON(out))
	return nil
}

// goLive starts the show: the room becomes live, and a server node claims
// it and runs its auction (the bidding package watches live rooms); the
// seller's followers get a seller_live notification with it.
func (s *server) goLive(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := optionalIfMatch(r, room.Version); err != nil {
		return err
	}
	switch room.Status {
	case storage.RoomLive:
		return conflict("the room is already live")
	case storage.RoomEnded:
		return conflict("the room has ended")
	}
	out, told, err := s.rooms.GoLive(r.Context(), room.ID)
	if err != nil {
		return err
	}
	s.log.Info("room live", "room", room.ID, "seller", room.SellerID, "followers_told", told)
	setETag(w, out.Version)
	writeJSON(w, http.StatusOK, toRoomJSON(out))
	return nil
}

// rotatePublishToken gives the room a new publish token and answers it
// once; the old one stops working at once (a leaked token, a new OBS).
// Sessions already publishing keep going until they end.
func (s *server) rotatePublishToken(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return conflict("the room has ended")
	}
	token, err := s.rooms.RotatePublishToken(r.Context(), room.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"room_id": room.ID, "publish_token": token})
	return nil
}

// endRoom marks the show over; ending twice is a conflict. It only records
// the status: stopping a live room's actor belongs to the auction side,
// which reads room status when it (re)loads a room. Pending lots stay
// pending, so their items can be offered again in another show.
func (s *server) endRoom(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.ownRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := optionalIfMatch(r, room.Version); err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return conflict("the room has already ended")
	}
	out, err := s.rooms.SetStatus(r.Context(), room.ID, storage.RoomEnded)
	if err != nil {
		return err
	}
	s.log.Info("room ended", "room", room.ID)
	setETag(w, out.Version)
	writeJSON(w, http.StatusOK, toRoomJSON(out))
	return nil
}
