package signaling

import (
	"testing"
	"time"
)

// TestHoldLocked: the writer holds only a queue of events that may wait,
// only while the interval since its last message of events runs, and
// never once the connection closes or when pacing is off.
func TestHoldLocked(t *testing.T) {
	now := time.Now()
	public := outMsg{events: [][]byte{[]byte(`{}`)}}
	own := outMsg{events: [][]byte{[]byte(`{}`)}, urgent: true}
	reply := outMsg{msg: []byte(`{}`), urgent: true}
	for _, tc := range []struct {
		name     string
		interval time.Duration
		last     time.Duration // since the last message of events; 0: none yet
		queue    []outMsg
		closed   bool
		want     time.Duration
	}{
		{"first events go at once", 20 * time.Millisecond, 0, []outMsg{public}, false, 0},
		{"events within the interval wait", 20 * time.Millisecond, 5 * time.Millisecond, []outMsg{public}, false, 15 * time.Millisecond},
		{"events after the interval go", 20 * time.Millisecond, 30 * time.Millisecond, []outMsg{public}, false, -10 * time.Millisecond},
		{"a reply behind them ends the hold", 20 * time.Millisecond, 5 * time.Millisecond, []outMsg{public, reply}, false, 0},
		{"own events end the hold", 20 * time.Millisecond, 5 * time.Millisecond, []outMsg{own}, false, 0},
		{"a closing connection is not held", 20 * time.Millisecond, 5 * time.Millisecond, []outMsg{public}, true, 0},
		{"pacing off", -1, 5 * time.Millisecond, []outMsg{public}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &Gateway{cfg: Config{SendBuffer: 8, EventInterval: tc.interval}.withDefaults()}
			c := heldConn(g, "u", "r")
			c.queue = tc.queue
			if tc.last > 0 {
				c.lastEvents = now.Add(-tc.last)
			}
			if tc.closed {
				close(c.closing)
				c.closed = true
			}
			got := c.holdLocked(now)
			if (tc.want <= 0 && got > 0) || (tc.want > 0 && got != tc.want) {
				t.Fatalf("hold = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOwnEventEndsTheHold: with public events held for a long interval,
// an event for the connection's user alone goes out at once, after the
// held events and in seq order, instead of waiting the interval out.
func TestOwnEventEndsTheHold(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(func(c *Config) { c.EventInterval = time.Minute })
	bob := dial(t, srv, "bob")
	bob.join(e.room.ID)
	first := e.publish("lot.note", "", map[string]int{"i": 1})
	if env := bob.next(); env.Seq != first {
		t.Fatalf("first event: %s seq %d, want seq %d", env.Type, env.Seq, first)
	}
	// Within the minute: held, then flushed by bob's own event.
	held := e.publish("lot.note", "", map[string]int{"i": 2})
	own := e.publish("bid.accepted", e.user("bob").ID, map[string]any{"bid_id": "b-1", "amount": 100})
	for _, want := range []int64{held, own} {
		if env := bob.next(); env.Seq != want {
			t.Fatalf("got %s seq %d, want seq %d", env.Type, env.Seq, want)
		}
	}
}
