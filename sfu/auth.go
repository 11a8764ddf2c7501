package sfu

import (
	"context"
	"crypto/subtle"
	"sync"
)

// Authorizer decides who may publish to and view a room. The server wiring
// implements it (rooms and tokens live in the database); the SFU only asks.
// Errors should be ErrUnauthorized, ErrForbidden or ErrRoomNotFound (possibly
// wrapped); anything else becomes HTTP 500.
type Authorizer interface {
	// AuthorizePublish returns nil if bearerToken may publish to roomID.
	AuthorizePublish(ctx context.Context, roomID, bearerToken string) error
	// AuthorizeView returns nil if a viewer with bearerToken (possibly "")
	// may watch roomID.
	AuthorizeView(ctx context.Context, roomID, bearerToken string) error
}

// StaticAuthorizer is an in-memory Authorizer for tests, load tests and
// single-room setups. Rooms must be added with SetRoom unless AllowAll is set.
type StaticAuthorizer struct {
	// AllowAll accepts every request (benchmarks only).
	AllowAll bool

	mu    sync.RWMutex
	rooms map[string]staticRoom
}

type staticRoom struct{ publish, view string }

// SetRoom declares a room with its publish token and view token; an empty
// view token makes the room public.
func (a *StaticAuthorizer) SetRoom(roomID, publishToken, viewToken string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms == nil {
		a.rooms = map[string]staticRoom{}
	}
	a.rooms[roomID] = staticRoom{publish: publishToken, view: viewToken}
}

func (a *StaticAuthorizer) room(id string) (staticRoom, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, ok := a.rooms[id]
	return r, ok
}

// AuthorizePublish implements Authorizer.
func (a *StaticAuthorizer) AuthorizePublish(_ context.Context, roomID, token string) error {
	if a.AllowAll {
		return nil
	}
	r, ok := a.room(roomID)
	if !ok {
		return ErrRoomNotFound
	}
	return checkToken(r.publish, token)
}

// AuthorizeView implements Authorizer.
func (a *StaticAuthorizer) AuthorizeView(_ context.Context, roomID, token string) error {
	if a.AllowAll {
		return nil
	}
	r, ok := a.room(roomID)
	if !ok {
		return ErrRoomNotFound
	}
	if r.view == "" {
		return nil
	}
	return checkToken(r.view, token)
}

func checkToken(want, got string) error {
	if got == "" {
		return ErrUnauthorized
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return ErrForbidden
	}
	return nil
}
