package api

import (
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// followJSON says whether the caller follows a seller, and how many do.
type followJSON struct {
	SellerID  string `json:"seller_id"`
	Following bool   `json:"following"`
	Followers int64  `json:"followers"`
}

// followedJSON is one seller the caller follows.
type followedJSON struct {
	SellerID    string    `json:"seller_id"`
	DisplayName string    `json:"display_name"`
	Since       time.Time `json:"since"`
	// LiveRoomID is the seller's live room; absent when none is live.
	LiveRoomID string `json:"live_room_id,omitempty"`
}

func toFollowedJSON(f storage.Followed) followedJSON {
	return followedJSON{SellerID: f.SellerID, DisplayName: f.DisplayName, Since: f.Since, LiveRoomID: f.LiveRoomID}
}

// sellerParam is the {id} of a /sellers/{id} path, checked.
func sellerParam(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		return "", badParam("id", "must be a seller's user id")
	}
	return id, nil
}

// followState answers whether the caller follows the seller.
func (s *server) followState(w http.ResponseWriter, r *http.Request, p Principal) error {
	seller, err := sellerParam(r)
	if err != nil {
		return err
	}
	return s.writeFollow(w, r, p, seller)
}

// follow makes the caller follow a seller: each time one of the seller's
// shows goes live the caller gets a seller_live notification. Following
// twice is following once.
func (s *server) follow(w http.ResponseWriter, r *http.Request, p Principal) error {
	seller, err := sellerParam(r)
	if err != nil {
		return err
	}
	if seller == p.UserID {
		return invalid("id", "you cannot follow yourself")
	}
	if err := s.follows.Follow(r.Context(), p.UserID, seller); err != nil {
		return err
	}
	return s.writeFollow(w, r, p, seller)
}

// unfollow stops the caller following a seller; not following is fine.
func (s *server) unfollow(w http.ResponseWriter, r *http.Request, p Principal) error {
	seller, err := sellerParam(r)
	if err != nil {
		return err
	}
	if _, err := s.follows.Unfollow(r.Context(), p.UserID, seller); err != nil {
		return err
	}
	return s.writeFollow(w, r, p, seller)
}

func (s *server) writeFollow(w http.ResponseWriter, r *http.Request, p Principal, seller string) error {
	following, err := s.follows.IsFollowing(r.Context(), p.UserID, seller)
	if err != nil {
		return err
	}
	n, err := s.follows.Followers(r.Context(), seller)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followJSON{SellerID: seller, Following: following, Followers: n})
	return nil
}

// myFollowing lists the sellers the caller follows, most recent first.
func (s *server) myFollowing(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.follows.ListAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(f storage.Followed) string {
		return keyCursor(storage.PageKey{At: f.Since, ID: f.SellerID})
	})
	writeJSON(w, http.StatusOK, pageOf[followedJSON]{NextCursor: next, Items: mapSlice(rows, toFollowedJSON)})
	return nil
}
