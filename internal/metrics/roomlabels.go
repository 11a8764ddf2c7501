package metrics

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// RoomReader reads a room; *storage.Rooms implements it.
type RoomReader interface {
	Get(ctx context.Context, id string) (storage.Room, error)
}

// RoomLabels names rooms in metric labels: a public room by its id, any
// other by a pseudonym, "private-" and an HMAC of its id under a key made
// at start. Each private room keeps series of its own, yet no scrape names
// it, wherever metrics end up. When the room cannot be read the pseudonym
// is used: a label fails closed. It is safe for concurrent use.
type RoomLabels struct {
	rooms RoomReader
	key   []byte
	ttl   time.Duration

	mu    sync.Mutex
	cache map[string]roomLabel
}

type roomLabel struct {
	label   string
	expires time.Time
}

// NewRoomLabels returns the labeller, with a pseudonym key of its own.
func NewRoomLabels(rooms RoomReader) *RoomLabels {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &RoomLabels{rooms: rooms, key: key, ttl: 30 * time.Second, cache: map[string]roomLabel{}}
}

// Label returns the label of roomID. A scrape asks once per room; answers
// are kept for ttl, so a room made private shows under its pseudonym
// within that time.
func (l *RoomLabels) Label(roomID string) string {
	now := time.Now()
	l.mu.Lock()
	c, ok := l.cache[roomID]
	l.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.label
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	label := l.pseudonym(roomID)
	expires := now.Add(l.ttl)
	if r, err := l.rooms.Get(ctx, roomID); err == nil && r.Public {
		label = roomID
	} else if err != nil {
		expires = now.Add(time.Second) // ask again soon
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, e := range l.cache {
		if now.After(e.expires) {
			delete(l.cache, id) // rooms come and go; keep only live ones
		}
	}
	l.cache[roomID] = roomLabel{label: label, expires: expires}
	return label
}

func (l *RoomLabels) pseudonym(roomID string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(roomID))
	return "private-" + hex.EncodeToString(m.Sum(nil)[:6])
}
