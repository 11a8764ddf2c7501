package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bidcast/bidcast/events"
)

// testEvent is a room event and its encoded envelope, as the hub keeps it.
func testEvent(seq int64, to, except string) roomEvent {
	ev := events.Event{Seq: seq, Type: "lot.note", To: to, Except: except,
		Data: json.RawMessage(`{"n":` + strconv.FormatInt(seq, 10) + `}`)}
	return roomEvent{ev: ev, frame: encodeRaw(ev.Type, "", ev.Seq, ev.Data)}
}

// heldConn is a connection with no socket and no writer: what is sent to
// it stays in its queue for the test to read.
func heldConn(g *Gateway, user, roomID string) *conn {
	return &conn{g: g, id: Identity{UserID: user}, closing: make(chan struct{}), roomID: roomID, finished: true}
}

func testGateway(sendBuffer int) *Gateway {
	return &Gateway{cfg: Config{SendBuffer: sendBuffer}.withDefaults()}
}

// queuedSeqs returns the seqs of every room event in c's queue, per
// message, decoding each message as a client would.
func queuedSeqs(t *testing.T, c *conn) [][]int64 {
	t.Helper()
	var out [][]int64
	for _, m := range c.queue {
		msg := m.msg
		if msg == nil {
			msg = appendList(nil, m.events, m.last)
		}
		var env Envelope
		if err := json.Unmarshal(msg, &env); err != nil {
			t.Fatalf("queued message %s: %v", msg, err)
		}
		msgs, err := Unpack(env)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range msgs {
			if e.Seq > 0 {
				seqs = append(seqs, e.Seq)
			}
		}
		if env.Type == TypeRoomEvents && env.Seq != seqs[len(seqs)-1] {
			t.Fatalf("list seq %d, last event %d", env.Seq, seqs[len(seqs)-1])
		}
		out = append(out, seqs)
	}
	return out
}

func TestListRoundTripsThroughUnpack(t *testing.T) {
	evs := []roomEvent{testEvent(7, "", ""), testEvent(8, "u", ""), testEvent(9, "", "u")}
	frames := [][]byte{evs[0].frame, evs[1].frame, evs[2].frame}
	var env Envelope
	if err := json.Unmarshal(appendList(nil, frames, 9), &env); err != nil {
		t.Fatal(err)
	}
	if env.V != Version || env.Type != TypeRoomEvents || env.Seq != 9 {
		t.Fatalf("list envelope = %+v", env)
	}
	got, err := Unpack(env)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		want, _ := json.Marshal(e)
		if !bytes.Equal(want, frames[i]) {
			t.Errorf("event %d = %s, want %s", i, want, frames[i])
		}
	}
	// Any other message is itself.
	one := Envelope{V: 1, Type: "bid.accepted", Seq: 3, Data: json.RawMessage(`{}`)}
	if got, err := Unpack(one); err != nil || len(got) != 1 || got[0].Type != one.Type {
		t.Fatalf("Unpack(%+v) = %+v, %v", one, got, err)
	}
	if _, err := Unpack(Envelope{V: 1, Type: TypeRoomEvents, Data: json.RawMessage(`[1]`)}); err == nil {
		t.Fatal("a malformed list unpacked without error")
	}
}

// FuzzList checks that any events, merged into a list, come out of Unpack
// as they went in.
func FuzzList(f *testing.F) {
	f.Add(`{"a":1}`, "", int64(1), 3)
	f.Add(`"\u2028<>&"`, "x\"y", int64(99), 1)
	f.Fuzz(func(t *testing.T, text, typ string, seq int64, n int) {
		// Types are the server's own names: valid UTF-8.
		if seq < 1 || n < 1 || n > maxListEvents || !utf8.ValidString(typ) {
			return
		}
		data, _ := json.Marshal(text)
		var frames [][]byte
		for i := range n {
			frames = append(frames, encodeRaw(typ, "", seq+int64(i), data))
		}
		var env Envelope
		if err := json.Unmarshal(appendList(nil, frames, seq+int64(n-1)), &env); err != nil {
			t.Fatalf("list is not JSON: %v", err)
		}
		got, err := Unpack(env)
		if err != nil || len(got) != n {
			t.Fatalf("Unpack = %d events, %v; want %d", len(got), err, n)
		}
		for i, e := range got {
			if e.Type != typ || e.Seq != seq+int64(i) || !bytes.Equal(e.Data, data) {
				t.Fatalf("event %d = %+v, want %s %d %s", i, e, typ, seq+int64(i), data)
			}
		}
	})
}

func TestRunsForSplitsAtTheCaps(t *testing.T) {
	var evs []roomEvent
	for i := range 2*maxListEvents + 3 {
		evs = append(evs, testEvent(int64(i+1), "", ""))
	}
	big := testEvent(1000, "", "")
	big.frame = encodeRaw("lot.note", "", 1000, json.RawMessage(`{"pad":"`+strings.Repeat("x", maxListBytes)+`"}`))
	all := func(events.Event) bool { return true }
	tests := []struct {
		name string
		evs  []roomEvent
		want []int // events per message
	}{
		{"one event goes alone", evs[:1], []int{1}},
		{"a burst is one list", evs[:5], []int{5}},
		{"at most maxListEvents per list", evs, []int{maxListEvents, maxListEvents, 3}},
		{"an event over the byte cap goes alone", []roomEvent{evs[0], big, evs[1]}, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, r := range runsFor(tt.evs, all) {
				got = append(got, len(r.frames))
				if len(r.frames) == 1 && !bytes.Equal(r.msg, r.frames[0]) {
					t.Errorf("a run of one is sent as %s, not as its event", r.msg)
				}
				if len(r.frames) > 1 && len(r.msg) > maxListBytes+listSize(0, 0) {
					t.Errorf("list of %d bytes", len(r.msg))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("messages of %v events, want %v", got, tt.want)
			}
		})
	}
}

// TestFanOutGivesEachAudienceItsOwnRound checks who gets what from one
// round: a private event reaches only its user, the public copy of a
// user's own outcome reaches everyone but them, and everyone else shares
// one encoded message.
func TestFanOutGivesEachAudienceItsOwnRound(t *testing.T) {
	g := testGateway(128)
	h := &hub{g: g}
	r := &room{id: "r1", conns: map[*conn]struct{}{}, byUser: map[string]map[*conn]struct{}{}}
	conns := map[string]*conn{}
	for _, u := range []string{"alice", "bob", "carol", "dave", ""} {
		c := heldConn(g, u, "r1")
		conns[u] = c
		r.conns[c] = struct{}{}
		r.byUser[u] = map[*conn]struct{}{c: {}}
	}
	h.fanOut(r, []roomEvent{
		testEvent(1, "", "alice"), // alice's outcome, public copy
		testEvent(2, "alice", ""), // alice's own copy
		testEvent(3, "", ""),      // everyone
		testEvent(4, "bob", ""),   // private to bob
	})
	want := map[string][][]int64{
		"alice": {{2, 3}},
		"bob":   {{1, 3, 4}},
		"carol": {{1, 3}},
		"dave":  {{1, 3}},
		"":      {{1, 3}},
	}
	for u, w := range want {
		if got := queuedSeqs(t, conns[u]); !slices.EqualFunc(got, w, slices.Equal) {
			t.Errorf("%q got %v, want %v", u, got, w)
		}
	}
	if &conns["carol"].queue[0].msg[0] != &conns["dave"].queue[0].msg[0] {
		t.Error("carol and dave got separately encoded copies of the same round")
	}

	// A round of private events only leaves everyone else alone.
	h.fanOut(r, []roomEvent{testEvent(5, "bob", "")})
	if got := queuedSeqs(t, conns["carol"]); len(got) != 1 {
		t.Errorf("carol got %v after a round private to bob", got)
	}
	// It merged into bob's waiting list rather than queueing behind it.
	if got := queuedSeqs(t, conns["bob"]); !slices.EqualFunc(got, [][]int64{{1, 3, 4, 5}}, slices.Equal) {
		t.Errorf("bob's queue = %v", got)
	}
}

func TestQueuedEventsMerge(t *testing.T) {
	g := testGateway(128)
	c := heldConn(g, "u", "r1")
	shared := make([][]byte, 1, 8) // a round's frames, with room to spare
	e1 := testEvent(1, "", "")
	shared[0] = e1.frame
	c.sendEvents(shared, e1.frame, 1, false)
	for _, seq := range []int64{2, 3} {
		e := testEvent(seq, "", "")
		c.sendEvents([][]byte{e.frame}, e.frame, seq, false)
	}
	c.send([]byte(`{"v":1,"type":"ack"}`)) // a reply: later events queue behind it
	e4 := testEvent(4, "", "")
	c.sendEvents([][]byte{e4.frame}, e4.frame, 4, false)

	if len(c.queue) != 3 {
		t.Fatalf("queue of %d messages, want 3", len(c.queue))
	}
	if got := queuedSeqs(t, c); !slices.Equal(got[0], []int64{1, 2, 3}) || got[1] != nil || !slices.Equal(got[2], []int64{4}) {
		t.Fatalf("queue = %v", got)
	}
	if shared[:2][1] != nil {
		t.Fatal("merging wrote into the round's shared frames")
	}

	// The caps hold in the queue too.
	c2 := heldConn(g, "u", "r1")
	for i := range maxListEvents + 2 {
		e := testEvent(int64(i+1), "", "")
		c2.sendEvents([][]byte{e.frame}, e.frame, int64(i+1), false)
	}
	if len(c2.queue) != 2 || len(c2.queue[0].events) != maxListEvents {
		t.Fatalf("%d messages, first of %d events", len(c2.queue), len(c2.queue[0].events))
	}
}

// TestSendBufferCountsMessages keeps the slow-consumer policy: a
// connection holding SendBuffer unwritten messages is closed. Merged
// events are one message, so a connection that falls a round or two behind
// in a storm is not closed for it.
func TestSendBufferCountsMessages(t *testing.T) {
	isClosed := func(c *conn) bool {
		select {
		case <-c.closing:
			return true
		default:
			return false
		}
	}
	g := testGateway(8)
	c := heldConn(g, "u", "r1")
	for i := range 8 * maxListEvents {
		e := testEvent(int64(i+1), "", "")
		c.sendEvents([][]byte{e.frame}, e.frame, int64(i+1), false)
	}
	if isClosed(c) || len(c.queue) != 8 {
		t.Fatalf("closed %v with %d messages queued, want open with 8", isClosed(c), len(c.queue))
	}
	e := testEvent(8*maxListEvents+1, "", "")
	c.sendEvents([][]byte{e.frame}, e.frame, e.ev.Seq, false)
	if !isClosed(c) {
		t.Fatal("not closed with a ninth message and SendBuffer 8")
	}
	// Other messages count one each.
	c2 := heldConn(g, "u", "r1")
	for range 9 {
		c2.send([]byte(`{"v":1,"type":"viewers","data":{"count":1}}`))
	}
	if !isClosed(c2) {
		t.Fatal("not closed with nine messages queued and SendBuffer 8")
	}
	if g.stats.slowConsumers.Load() != 2 || c.closeStatus != 1008 || c2.closeStatus != 1008 {
		t.Fatalf("slow consumers %d, close status %d and %d", g.stats.slowConsumers.Load(), c.closeStatus, c2.closeStatus)
	}
}

// TestBurstReachesEveryoneInOrder publishes a burst from several
// goroutines at once, public events, private ones and public copies that
// leave one user out, and checks that every client gets exactly the events
// meant for it, each once, in seq order, however they were merged.
func TestBurstReachesEveryoneInOrder(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(func(c *Config) { c.SendBuffer = 1024 })
	names := []string{"alice", "bob", "carol"}
	ids := map[string]string{}
	clients := map[string]*client{}
	for _, n := range names {
		clients[n] = dial(t, srv, n)
		ids[n] = clients[n].join(e.room.ID).You.UserID
	}
	type sent struct {
		seq        int64
		to, except string
	}
	var (
		mu  sync.Mutex
		all []sent
		wg  sync.WaitGroup
	)
	const perWriter, writers = 60, 4
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				var to, except string
				switch (w + i) % 4 {
				case 1:
					to = ids[names[i%3]]
				case 2:
					except = ids[names[i%3]]
				}
				data := fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)
				seq, err := e.events.Publish(context.Background(), events.Event{Type: "lot.note", RoomID: e.room.ID,
					At: time.Now().UTC(), To: to, Except: except, Data: json.RawMessage(data)}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, sent{seq, to, except})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(all, func(a, b sent) int { return int(a.seq - b.seq) })
	for _, n := range names {
		var want []int64
		for _, s := range all {
			if (events.Event{To: s.to, Except: s.except}).For(ids[n]) {
				want = append(want, s.seq)
			}
		}
		var got []int64
		for len(got) < len(want) {
			env := clients[n].next()
			if env.Type != "lot.note" {
				t.Fatalf("%s got %s", n, env.Type)
			}
			got = append(got, env.Seq)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s got seqs %v, want %v", n, got, want)
		}
	}
	if s := g.Stats(); s.EventsRelayed != writers*perWriter || s.SlowConsumers != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestOneEventGoesAlone: at rest nothing merges; each event is its own
// message, exactly as before room.events existed.
func TestOneEventGoesAlone(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	c := dial(t, srv, "alice")
	c.join(e.room.ID)
	for i := range 3 {
		seq := e.publish("lot.note", "", map[string]int{"i": i})
		env := c.nextFrame()
		if env.Type != "lot.note" || env.Seq != seq {
			t.Fatalf("event %d came as %s seq %d (%s), want lot.note seq %d alone", i, env.Type, env.Seq, env.Data, seq)
		}
	}
}
