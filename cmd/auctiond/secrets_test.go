package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/api"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wire is everything one WebSocket received, as raw text, in order.
type wire struct {
	mu   sync.Mutex
	msgs []wsMsg
}

func (w *wire) tap(m wsMsg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, m)
}

// leaks returns the messages that contain any of secrets.
func (w *wire) leaks(secrets ...string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.msgs {
		for _, s := range secrets {
			if strings.Contains(string(m.Data), s) {
				out = append(out, fmt.Sprintf("%s %s (has %q)", m.Type, m.Data, s))
			}
		}
	}
	return out
}

// count returns how many messages of type typ arrived.
func (w *wire) count(typ string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if m.Type == typ {
			n++
		}
	}
	return n
}

// getRaw fetches an API path as u and returns the status and body.
func (u *httpUser) getRaw(path string) (int, string) {
	u.t.Helper()
	var raw json.RawMessage
	code := u.do("GET", path, "", &raw)
	return code, string(raw)
}

// TestSecretsStaySecret drives a lot in which Alice holds a hidden maximum
// and Bob bids against it, while Carol only watches and Dan joins late. A
// maximum must reach nobody but its owner: not the other WebSockets (events,
// snapshots, replays), not the REST bid history, lot or results, not the
// lot.closed webhook payload, not the logs. No viewer may learn another
// bidder's bid_id or user ID from bid, lot or chat events; each bidder still
// gets their own outcome with their bid_id, and the seller can still
// moderate a chatter without knowing their ID.
func TestSecretsStaySecret(t *testing.T) {
	logs := &syncBuffer{}
	e := newShowLogged(t, "", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		1, time.Minute)
	e.goLive()
	lot := e.room.LotIDs[0]
	const ceiling = 987_650 // Alice's maximum: in no one else's sight, ever
	const maxText = "987650"
	// bid_ids unique to the run: outcomes outlive it in the shared Redis.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	aliceMax, bobBid, bobLow := "alice-max-"+run, "bob-"+run, "bob-low-"+run

	sws := e.seller.dial()
	sws.request("join", map[string]any{"room_id": e.room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})
	sws.await("lot.started", isEvent("lot.started"))

	aliceHTTP, bobHTTP, carolHTTP := e.guest("alice"), e.guest("bob"), e.guest("carol")
	var aliceWire, bobWire, carolWire wire
	alice, bob, carol := aliceHTTP.dialTap(aliceWire.tap), bobHTTP.dialTap(bobWire.tap), carolHTTP.dialTap(carolWire.tap)
	ids := map[string]string{}
	for name, c := range map[string]*wsClient{"alice": alice, "bob": bob, "carol": carol} {
		c.send("join", map[string]any{"room_id": e.room.RoomID})
		snap := c.await(name+" snapshot", isEvent("room.snapshot"))
		var d struct {
			You struct {
				UserID string `json:"user_id"`
			} `json:"you"`
		}
		_ = json.Unmarshal(snap.Data, &d)
		if d.You.UserID == "" {
			t.Fatalf("%s's snapshot names no user: %s", name, snap.Data)
		}
		ids[name] = d.You.UserID
		c.await(name+" join ack", isEvent("ack"))
	}

	// Alice sets a maximum; she alone learns it was taken, with its bid_id.
	alice.request("bid.max", map[string]any{"lot_id": lot, "amount": ceiling, "currency": "KRW", "bid_id": aliceMax})
	own := alice.await("alice's own outcome", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(m.field("bid"), `"`+aliceMax+`"`)
	})
	if !strings.Contains(own.field("bid"), `"kind":"max"`) {
		t.Fatalf("alice's own outcome does not say it is her maximum: %s", own.Data)
	}
	// Bob bids; Alice's maximum answers with a proxy bid everyone sees as a
	// plain bid.
	bob.request("bid.place", map[string]any{"lot_id": lot, "amount": 20_000, "currency": "KRW", "bid_id": bobBid})
	bobOwn := bob.await("bob's own outcome", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(m.field("bid"), `"`+bobBid+`"`)
	})
	if !strings.Contains(bobOwn.field("auto_bids"), `"kind":"bid"`) {
		t.Errorf("bob does not see the proxy's answer as a plain bid: %s", bobOwn.Data)
	}
	seen := carol.await("the duel, as carol sees it", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && m.field("auto_bids") != ""
	})
	if seen.field("leader") == "" || seen.field("leader") == "alice" || strings.Contains(seen.field("bid"), `"bid_id"`) {
		t.Errorf("carol's view of the duel: %s", seen.Data)
	}

	// Bob's refused bid: he alone hears why, by its bid_id.
	bob.request("bid.place", map[string]any{"lot_id": lot, "amount": 20_000, "currency": "KRW", "bid_id": bobLow})
	bob.await("bob's own rejection", func(m wsMsg) bool {
		return m.Type == "bid.rejected" && strings.Contains(m.field("bid"), `"`+bobLow+`"`) && m.field("reason") == "too_low"
	})

	// Alice chats; the seller mutes her by her message, not her ID.
	chatAck := alice.request("chat.send", map[string]any{"text": "hello from alice"})
	msgID := chatAck.field("message_id")
	carol.await("alice's chat", isEvent("chat.message"))
	sws.await("alice's chat at the seller", isEvent("chat.message"))
	if code := sws.requestErr("mod.mute", map[string]any{"message_id": msgID, "seconds": 60}); code != "" {
		t.Errorf("mute by message: %q", code)
	} else if code := alice.requestErr("chat.send", map[string]any{"text": "still here"}); code != "muted" {
		t.Errorf("chat after a mute by message: %q, want muted", code)
	}

	// Dan joins late and resumes from the start: snapshot and replay.
	danHTTP := e.guest("dan")
	var danWire wire
	dan := danHTTP.dialTap(danWire.tap)
	dan.request("join", map[string]any{"room_id": e.room.RoomID})
	dan.request("join", map[string]any{"room_id": e.room.RoomID, "resume_from": 1})

	sws.request("lot.end", map[string]any{})
	for _, c := range []*wsClient{alice, bob, carol, dan} {
		c.await("lot closed", isEvent("lot.closed"))
	}
	if carolWire.count("bid.accepted") == 0 || danWire.count("bid.accepted") == 0 {
		t.Fatal("the watchers saw no bids at all")
	}

	// The wire: nobody but Alice sees her maximum or her bid IDs, nobody
	// sees anyone's user ID but their own.
	checks := []struct {
		who     string
		w       *wire
		secrets []string
	}{
		{"bob", &bobWire, []string{maxText, aliceMax, `"max"`, ids["alice"], ids["carol"]}},
		{"carol", &carolWire, []string{maxText, aliceMax, bobBid, bobLow, `"max"`, ids["alice"], ids["bob"]}},
		{"dan", &danWire, []string{maxText, aliceMax, bobBid, bobLow, `"max"`, ids["alice"], ids["bob"], ids["carol"]}},
		{"alice", &aliceWire, []string{bobBid, bobLow, ids["bob"], ids["carol"]}},
	}
	for _, c := range checks {
		if l := c.w.leaks(c.secrets...); len(l) > 0 {
			t.Errorf("%s's WebSocket received secrets:\n%s", c.who, strings.Join(l, "\n"))
		}
	}

	// The REST API: bid history, lot, results, to anyone but Alice.
	anon := newHTTPUser(t, e.base)
	for _, path := range []string{"/api/v1/lots/" + lot + "/bids", "/api/v1/lots/" + lot,
		"/api/v1/lots/" + lot + "/result", "/api/v1/rooms/" + e.room.RoomID + "/results"} {
		for name, u := range map[string]*httpUser{"anonymous": anon, "bob": bobHTTP, "seller": e.seller} {
			code, body := u.getRaw(path)
			if code != http.StatusOK {
				t.Fatalf("GET %s as %s: %d %s", path, name, code, body)
			}
			for _, s := range []string{maxText, `"max"`, aliceMax} {
				if strings.Contains(body, s) {
					t.Errorf("GET %s as %s shows %q: %s", path, name, s, body)
				}
			}
			if name != "seller" && strings.Contains(body, ids["alice"]) {
				t.Errorf("GET %s as %s names the winner's ID: %s", path, name, body)
			}
		}
	}
	// The public history names bidders as the room's events do.
	var hist struct {
		Items []struct {
			Bidder string `json:"bidder"`
			Kind   string `json:"kind"`
		} `json:"items"`
	}
	anon.do("GET", "/api/v1/lots/"+lot+"/bids", "", &hist)
	leader := seen.field("leader")
	found := false
	for _, b := range hist.Items {
		found = found || b.Bidder == leader
		if b.Kind != "bid" {
			t.Errorf("history shows a %q row", b.Kind)
		}
	}
	if !found {
		t.Errorf("history %+v does not name the leader %q as the events do", hist.Items, leader)
	}
	// Alice sees her own maximum on her page.
	if _, body := aliceHTTP.getRaw("/api/v1/me/bids"); !strings.Contains(body, maxText) || !strings.Contains(body, `"max"`) {
		t.Errorf("alice's own bids do not show her maximum: %s", body)
	}

	// The lot.closed webhook's payload, as the trigger queued it.
	insp := asynq.NewInspectorFromRedisClient(e.app.redis)
	var task *asynq.TaskInfo
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if task, err = insp.GetTaskInfo(e.app.ns.Name(api.DefaultWebhookQueue), "lot.closed:"+lot); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lot.closed webhook was never queued: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var closed api.LotClosedEvent
	if err := json.Unmarshal(task.Payload, &closed); err != nil || closed.Outcome != "sold" {
		t.Fatalf("lot.closed payload %s: %v", task.Payload, err)
	}
	payload := task.Payload
	if strings.Contains(string(payload), maxText) {
		t.Errorf("lot.closed webhook payload shows the maximum: %s", payload)
	}

	// The logs.
	if strings.Contains(logs.String(), maxText) {
		t.Errorf("the server logged the maximum:\n%s", logs.String())
	}
}
