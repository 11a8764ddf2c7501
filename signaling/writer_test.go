package signaling

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// TestHungWriteIsClosed checks the write watchdog: a client that stops
// reading, with room left in its send buffer, is closed once a write to it
// has hung for WriteTimeout, and the others keep up meanwhile.
func TestHungWriteIsClosed(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(func(c *Config) { c.SendBuffer = 4096; c.WriteTimeout = 300 * time.Millisecond })
	fast, stuck := dial(t, srv, "fast"), dial(t, srv, "stuck")
	fast.join(e.room.ID)
	stuck.join(e.room.ID) // and never reads again

	// Big events fill the stuck client's socket buffers within a few MiB,
	// so a write to it hangs long before its send buffer is full.
	big := strings.Repeat("x", 128<<10)
	for i := 0; g.Stats().SlowConsumers == 0; i++ {
		if i == 2000 {
			t.Fatal("no write hung after 2,000 events of 128 KiB")
		}
		if _, err := e.events.Publish(context.Background(), events.Event{Type: "lot.note", RoomID: e.room.ID,
			At: time.Now().UTC(), Data: []byte(`{"i":` + strconv.Itoa(i) + `,"pad":"` + big + `"}`)}, nil); err != nil {
			t.Fatal(err)
		}
		fast.expect("lot.note")
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.Stats().Connections != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stats = %+v, want the stuck connection gone", g.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
