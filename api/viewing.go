package api

import (
	"context"
	"net/http"

	"github.com/bidcast/bidcast/storage"
)

// ViewerTokenHeader carries an invitation to a private room (a viewer token
// from POST /auth/rooms/{id}/viewer-token) on the API's reads of that room,
// its lots, bids and results. A header, not a query parameter, so the token
// stays out of access logs and Referer headers.
const ViewerTokenHeader = "X-Viewer-Token"

// RoomViewer is the one rule for who may see a room: anyone for a public
// room; for a private one its seller, an admin, or the holder of a viewer
// token for it. The auth package states the rule; AuthService adapts it.
// CanView returns nil when p may see room.
type RoomViewer interface {
	CanView(ctx context.Context, p Principal, room storage.Room, viewerToken string) error
}

// viewerTokenKey is the context key of the request's viewer token.
type viewerTokenKey struct{}

// withViewerToken keeps the request's viewer token for visibleRoom, which
// every read of a room's data goes through.
func withViewerToken(r *http.Request) *http.Request {
	t := r.Header.Get(ViewerTokenHeader)
	if t == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), viewerTokenKey{}, t))
}

// mayView applies the RoomViewer with the request's viewer token; without
// one, the narrowest rule: public rooms, their seller and admins.
func (s *server) mayView(ctx context.Context, p Principal, room storage.Room) bool {
	if s.views == nil {
		return room.Public || p.Owns(room.SellerID)
	}
	token, _ := ctx.Value(viewerTokenKey{}).(string)
	return s.views.CanView(ctx, p, room, token) == nil
}
