package signaling

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// A Redis restarted without its last writes sets the room's event counter
// back. The gateway numbers its next chat above the seqs it relayed, so
// connected clients get it: with the counter's own number the hub (and
// the clients) would drop it as an event they already had.
func TestChatAfterARedisLossIsNumberedAboveWhatWasRelayed(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	ctx := context.Background()
	owner := events.NewRedisLog(e.rdb) // the room's owner, on another node
	alice := dial(t, srv, "alice")
	alice.join(e.room.ID)
	var last int64
	for i := range 5 {
		seq, err := owner.Publish(ctx, events.Event{Type: "lot.price", RoomID: e.room.ID, At: time.Now().UTC(),
			Data: []byte(`{"amount":` + strconv.Itoa(i) + `}`)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if env := alice.expect("lot.price"); env.Seq != seq {
			t.Fatalf("relayed seq %d, want %d", env.Seq, seq)
		}
		last = seq
	}
	// The loss: the counter and the stream go back three events (the
	// events package's keys).
	counter, stream := "bidcast:{"+e.room.ID+"}:evseq", "bidcast:{"+e.room.ID+"}:evlog"
	e.rdb.Set(ctx, counter, last-3, 0)
	for seq := last - 2; seq <= last; seq++ {
		e.rdb.XDel(ctx, stream, strconv.FormatInt(seq, 10)+"-0")
	}
	// XDEL keeps the stream's top ID; a real loss takes it back too.
	e.rdb.Do(ctx, "XSETID", stream, strconv.FormatInt(last-3, 10)+"-0")

	id := alice.send(TypeChatSend, ChatSendData{Text: "still here"})
	var chat Envelope
	for got := 0; got < 2; got++ { // the ack and the chat.message, in either order
		env := alice.next()
		switch {
		case env.ID == id && env.Type == TypeAck:
			if ack := decodeAs[AckData](t, env); ack.Seq != last+1 {
				t.Fatalf("chat acked at seq %d, want %d", ack.Seq, last+1)
			}
		case env.Type == TypeChatMessage:
			chat = env
		default:
			t.Fatalf("unexpected %s", env.Type)
		}
	}
	if chat.Seq != last+1 {
		t.Fatalf("chat.message at seq %d, want %d", chat.Seq, last+1)
	}
}
