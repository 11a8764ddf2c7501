package api

import (
	"net/http"
	"strconv"
)

// errNoThumbnail is the answer for a room with no live picture: it is not
// on air, or has not been for long enough to have one.
var errNoThumbnail = &Error{Status: http.StatusNotFound, Code: "not_found",
	Message: "the room has no live thumbnail: it is not on air right now"}

// roomThumbnail serves the room's live thumbnail, a JPEG of its newest
// keyframe remade every 30 s by the node its video reaches, to whoever may
// see the room.
func (s *server) roomThumbnail(w http.ResponseWriter, r *http.Request, p Principal) error {
	room, err := s.visibleRoom(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.media == nil {
		return errNoThumbnail
	}
	img, ok, err := s.media.LiveThumbnail(r.Context(), room.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errNoThumbnail
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	w.Header().Set("Cache-Control", "private, max-age=15")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(img)
	return nil
}
