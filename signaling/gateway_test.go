package signaling

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/events"
)

func TestJoinSnapshotAndChat(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	if _, err := e.events.Publish(context.Background(), events.Event{Type: "lot.started", RoomID: e.room.ID,
		At: time.Now().UTC()}, map[string]any{"lot": "shoes", "high_bid": 0}); err != nil {
		t.Fatal(err)
	}

	alice, bob := dial(t, srv, "alice"), dial(t, srv, "bob")
	snap := alice.join(e.room.ID)
	if snap.Room.ID != e.room.ID || snap.Room.Status != "live" || snap.Room.SellerID != e.seller.ID ||
		snap.Seq != 1 || string(snap.State) != `{"high_bid":0,"lot":"shoes"}` || snap.You.DisplayName != "alice" ||
		snap.You.Seller || snap.ServerTime == 0 || len(snap.Chat) != 0 {
		t.Fatalf("snapshot = %+v", snap)
	}
	bob.join(e.room.ID)

	// The sender's ack and the room's chat.message may come in either order:
	// the event goes out from Redis as the ack is being written.
	id := alice.send(TypeChatSend, ChatSendData{Text: "nice kicks 👟"})
	first, second := alice.next(), alice.next()
	if first.Type == TypeChatMessage {
		first, second = second, first
	}
	ack := decodeAs[AckData](t, first)
	if first.Type != TypeAck || first.ID != id || ack.MessageID == "" || ack.Seq != 2 {
		t.Fatalf("chat ack = %+v (%s)", ack, first.Type)
	}
	for _, c := range []*client{alice, bob} {
		env := second
		if c == bob {
			env = c.expect(TypeChatMessage)
		}
		m := decodeAs[ChatMessage](t, env)
		if env.Seq != 2 || m.Text != "nice kicks 👟" || m.DisplayName != "alice" || m.MessageID != ack.MessageID {
			t.Fatalf("chat.message = %+v seq %d", m, env.Seq)
		}
	}

	// A late joiner finds the message in the snapshot's recent chat.
	carol := dial(t, srv, "carol")
	snap = carol.join(e.room.ID)
	if snap.Seq != 2 || len(snap.Chat) != 1 || snap.Chat[0].Text != "nice kicks 👟" || snap.Viewers != 3 {
		t.Fatalf("late snapshot = %+v", snap)
	}

	// Clock sync echoes the client's time and adds the server's.
	id = carol.send(TypeTimeSync, TimeSyncData{ClientTime: 1234})
	env := carol.expect(TypeTimeSync)
	ts := decodeAs[TimeSyncData](t, env)
	if env.ID != id || ts.ClientTime != 1234 || ts.ServerTime < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("time.sync = %+v", ts)
	}

	// Leaving stops the events.
	carol.send(TypeLeave, nil)
	carol.expect(TypeAck)
	e.publish("lot.price", "", map[string]int{"amount": 5})
	alice.expect("lot.price")
	id = carol.send(TypeTimeSync, TimeSyncData{ClientTime: 1})
	if env := carol.expect(TypeTimeSync); env.ID != id {
		t.Fatalf("carol got %s after leaving", env.Type)
	}
}

func TestBidsAndPrivateOutcomes(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(nil)
	alice, bob := dial(t, srv, "alice"), dial(t, srv, "bob")
	alice.join(e.room.ID)
	bob.join(e.room.ID)
	bobID := e.user("bob").ID
	lot := newUUID()

	bid := BidData{LotID: lot, Amount: 15000, Currency: "KRW", BidID: "bob-1"}
	id := bob.send(TypeBidPlace, bid)
	ack := bob.expect(TypeAck)
	a := decodeAs[AckData](t, ack)
	if ack.ID != id || a.Seq != 1 || a.Status != bidding.StatusPending || a.Duplicate || a.BidID != "bob-1" {
		t.Fatalf("bid ack = %+v", a)
	}
	// The bid reached the real ingress: sequenced and pending.
	out, err := e.outcomes.Get(context.Background(), e.room.ID, bobID, "bob-1")
	if err != nil || out.Status != bidding.StatusPending || out.Seq != 1 {
		t.Fatalf("outcome = %+v, %v", out, err)
	}
	// A retry with the same bid_id is recognized, not bid twice.
	bob.send(TypeBidPlace, bid)
	if a := decodeAs[AckData](t, bob.expect(TypeAck)); !a.Duplicate || a.Seq != 1 {
		t.Fatalf("duplicate ack = %+v", a)
	}
	// A proxy maximum goes through as kind max.
	bob.send(TypeBidMax, BidData{LotID: lot, Amount: 30000, Currency: "KRW", BidID: "bob-max"})
	if a := decodeAs[AckData](t, bob.expect(TypeAck)); a.Seq != 2 {
		t.Fatalf("max ack = %+v", a)
	}
	// A malformed bid is refused at ingress and gets nothing sequenced.
	id = bob.send(TypeBidPlace, BidData{LotID: lot, Amount: -5, Currency: "KRW", BidID: "bob-2"})
	bob.expectError(id, CodeInvalidBid)
	if _, err := e.outcomes.Get(context.Background(), e.room.ID, bobID, "bob-2"); !errors.Is(err, bidding.ErrUnknownBid) {
		t.Fatalf("invalid bid was recorded: %v", err)
	}
	// The seller may not bid in their own room.
	seller := dial(t, srv, "seller")
	seller.join(e.room.ID)
	id = seller.send(TypeBidPlace, BidData{LotID: lot, Amount: 20000, Currency: "KRW", BidID: "s-1"})
	seller.expectError(id, CodeForbidden)

	// The actor's verdict: private to bob, then public for the room.
	private := e.publish("bid.accepted", bobID, map[string]any{"bid_id": "bob-1", "amount": 15000})
	public := e.publish("lot.price", "", map[string]any{"amount": 15000, "leader": "bob"})
	if env := bob.expect("bid.accepted"); env.Seq != private {
		t.Fatalf("bob's outcome seq = %d, want %d", env.Seq, private)
	}
	for _, c := range []*client{bob, alice, seller} {
		if env := c.expect("lot.price"); env.Seq != public {
			t.Fatalf("public event seq = %d, want %d", env.Seq, public)
		}
	}
	if got := g.Stats().Bids; got != 3 {
		t.Fatalf("Stats().Bids = %d, want 3 (duplicates count)", got)
	}
}

func TestResumeReplaysMissedEventsOrSnapshot(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(func(c *Config) { c.ResumeMax = 4 })
	bobID := e.user("bob").ID
	bob := dial(t, srv, "bob")
	snap := bob.join(e.room.ID)
	first := e.publish("lot.price", "", map[string]int{"amount": 1})
	if env := bob.expect("lot.price"); env.Seq != first || first != snap.Seq+1 {
		t.Fatalf("seq %d after snapshot at %d", env.Seq, snap.Seq)
	}
	bob.ws.Close(websocket.StatusNormalClosure, "")

	// While bob is away: a public event, one private to bob, one private to
	// somebody else.
	e.publish("lot.price", "", map[string]int{"amount": 2})
	e.publish("bid.rejected", bobID, map[string]string{"reason": "too_low"})
	last := e.publish("bid.accepted", newUUID(), map[string]string{"bid_id": "x"})

	bob = dial(t, srv, "bob")
	bob.send(TypeJoin, JoinData{RoomID: e.room.ID, ResumeFrom: first})
	if env := bob.expect("lot.price"); env.Seq != first+1 {
		t.Fatalf("replayed seq %d", env.Seq)
	}
	if env := bob.expect("bid.rejected"); env.Seq != first+2 {
		t.Fatalf("replayed private seq %d", env.Seq)
	}
	ackEnv := bob.expect(TypeAck)
	if !strings.Contains(string(ackEnv.Data), `"resumed":true`) {
		t.Fatalf("resume ack %s lacks resumed:true", ackEnv.Data)
	}
	ack := decodeAs[JoinAckData](t, ackEnv)
	if !ack.Resumed || ack.Seq != last {
		t.Fatalf("resume ack = %+v, want resumed at %d", ack, last)
	}
	// Live events continue after the replay.
	next := e.publish("lot.price", "", map[string]int{"amount": 3})
	if env := bob.expect("lot.price"); env.Seq != next {
		t.Fatalf("live seq %d, want %d", env.Seq, next)
	}

	// Too far behind (more than ResumeMax missed): a fresh snapshot instead.
	bob.ws.Close(websocket.StatusNormalClosure, "")
	for i := range 6 {
		e.publish("lot.price", "", map[string]int{"amount": 10 + i})
	}
	bob = dial(t, srv, "bob")
	bob.send(TypeJoin, JoinData{RoomID: e.room.ID, ResumeFrom: next})
	snap = decodeAs[SnapshotData](t, bob.expect(TypeSnapshot))
	ackEnv = bob.expect(TypeAck)
	// The documented shape: resumed is always there, false after a snapshot.
	if !strings.Contains(string(ackEnv.Data), `"resumed":false`) {
		t.Fatalf("snapshot ack %s lacks resumed:false", ackEnv.Data)
	}
	if ack := decodeAs[JoinAckData](t, ackEnv); ack.Resumed || ack.Seq != snap.Seq || snap.Seq != next+6 {
		t.Fatalf("ack %+v, snapshot seq %d, want a snapshot at %d", ack, snap.Seq, next+6)
	}
}

func TestSlowConsumerIsDroppedOthersKeepUp(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(func(c *Config) { c.SendBuffer = 8; c.ResumeMax = 4 })
	fast, slow := dial(t, srv, "fast"), dial(t, srv, "slow")
	fast.join(e.room.ID)
	slow.join(e.room.ID)

	// Big events fill the socket buffers of a client that does not read, so
	// its send buffer fills next. Each event is published only after the
	// fast client has read the one before, so the fast client is never more
	// than one event behind however slow the machine is.
	big := strings.Repeat("x", 64<<10)
	const n = 400
	for i := range n {
		if _, err := e.events.Publish(context.Background(), events.Event{Type: "lot.note",
			RoomID: e.room.ID, At: time.Now().UTC(), Data: []byte(`{"i":` + strconv.Itoa(i) + `,"pad":"` + big + `"}`)},
			nil); err != nil {
			t.Fatal(err)
		}
		if env := fast.expect("lot.note"); env.Seq == 0 {
			t.Fatalf("event %d without seq", i)
		}
	}
	// The slow client finds its connection closed once it reads what was
	// already on the wire: with the policy-violation code when the server
	// could still write the close frame, or cut (EOF) when the client's
	// buffers stayed full past the write timeout, which on a loaded machine
	// it may. Either way the server counted it as a slow consumer, below.
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _, err := slow.ws.Read(ctx)
		cancel()
		if err != nil {
			st := websocket.CloseStatus(err)
			if st != websocket.StatusPolicyViolation && st != -1 {
				t.Fatalf("slow client closed with %v (%v), want policy violation", st, err)
			}
			if st == -1 && errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("slow client was never closed: %v", err)
			}
			break
		}
	}
	if s := g.Stats(); s.SlowConsumers < 1 {
		t.Fatalf("stats = %+v, want a slow consumer", s)
	}
}
