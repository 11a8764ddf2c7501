package events

import (
	"sync"

	"github.com/bidcast/bidcast/auction"
)

// Subscriber takes a room's events on the node that owns the room, once
// they are in the Log: notifications, webhooks, the demo's autopilot. It
// sees the room actor's own event, with user IDs and, for bid.accepted,
// the previous leader (auction.Event.PrevLeaderID), which never leave the
// owner node.
//
// OnEvent is called on the room's publisher goroutine, one event at a time
// in the room's order. It must not block: a subscriber with slow work to do
// queues it (and drops, counted, when its queue is full) so one slow
// subscriber never holds up the room's events.
type Subscriber interface {
	OnEvent(roomID string, e auction.Event)
}

// Feed hands every event to each of its subscribers, in the order they
// subscribed. The zero value is an empty feed; it is safe for concurrent
// use, so subscribers may join while rooms run.
type Feed struct {
	mu   sync.RWMutex
	subs []Subscriber
}

var _ Subscriber = (*Feed)(nil)

// Subscribe adds s to the feed.
func (f *Feed) Subscribe(s Subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, s)
}

// OnEvent implements Subscriber: it calls every subscriber in turn.
func (f *Feed) OnEvent(roomID string, e auction.Event) {
	f.mu.RLock()
	subs := f.subs
	f.mu.RUnlock()
	for _, s := range subs {
		s.OnEvent(roomID, e)
	}
}
