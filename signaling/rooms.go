package signaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// RoomInfo is what the gateway needs to know about a room.
type RoomInfo struct {
	ID       string
	SellerID string
	// Status is draft, scheduled, live or ended (storage.Room*).
	Status string
	Title  string
	// GuestsMayBid is the room's setting: guest accounts may bid in it.
	GuestsMayBid bool
	// Public rooms may be watched by anyone signed in; others only by their
	// seller, admins and holders of a viewer token (see ViewChecker).
	Public bool
}

// RoomLookup finds rooms. Room returns an error wrapping ErrRoomNotFound for
// an unknown ID.
type RoomLookup interface {
	Room(ctx context.Context, id string) (RoomInfo, error)
}

// StorageRooms adapts storage.Rooms to RoomLookup.
type StorageRooms struct{ *storage.Rooms }

// Room implements RoomLookup.
func (s StorageRooms) Room(ctx context.Context, id string) (RoomInfo, error) {
	r, err := s.Rooms.Get(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return RoomInfo{}, fmt.Errorf("room %q: %w", id, ErrRoomNotFound)
	}
	if err != nil {
		return RoomInfo{}, err
	}
	return RoomInfo{ID: r.ID, SellerID: r.SellerID, Status: r.Status, Title: r.Title, Public: r.Public,
		GuestsMayBid: r.GuestsMayBid}, nil
}

// roomCache remembers rooms for a short TTL so that the auction guard on
// every chat message and bid does not cost a Postgres query. A room that
// stops being live is refused at most TTL later; the room actor refuses bids
// on a closed lot in any case.
type roomCache struct {
	lookup RoomLookup
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]cachedRoom
}

type cachedRoom struct {
	info    RoomInfo
	expires time.Time
}

// maxCachedRooms bounds the cache; past it the cache is emptied, which is
// cheap and keeps a flood of unknown IDs from growing memory.
const maxCachedRooms = 10000

func newRoomCache(lookup RoomLookup, ttl time.Duration, now func() time.Time) *roomCache {
	return &roomCache{lookup: lookup, ttl: ttl, now: now, entries: make(map[string]cachedRoom)}
}

// get returns the room, from the cache when fresh. Unknown rooms are not
// cached, so a room created a moment ago is found.
func (c *roomCache) get(ctx context.Context, id string) (RoomInfo, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.info, nil
	}
	info, err := c.lookup.Room(ctx, id)
	if err != nil {
		return RoomInfo{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedRooms {
		clear(c.entries)
	}
	c.entries[id] = cachedRoom{info: info, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return info, nil
}

// forget drops id from the cache, so the next read sees a change at once
// (an access notice: the room was made private).
func (c *roomCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// live returns the room if it exists and is live: the auction guard.
func (c *roomCache) live(ctx context.Context, id string) (RoomInfo, error) {
	info, err := c.get(ctx, id)
	if err != nil {
		return RoomInfo{}, err
	}
	if info.Status != storage.RoomLive {
		return info, Errorf(CodeRoomNotLive, "the room is "+info.Status+", not live")
	}
	return info, nil
}
