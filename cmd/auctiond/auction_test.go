package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

// showEnv is a wired server with one seller's room of lots.
type showEnv struct {
	t      *testing.T
	base   string
	app    *App
	room   ops.Room
	seller *httpUser
}

// newShow starts the server and makes a room with lots that guests may bid on.
func newShow(t *testing.T, lots int, duration time.Duration) *showEnv {
	t.Helper()
	return newShowOn(t, "", lots, duration)
}

// newShowOn is newShow on the given Redis ("" for the shared one).
func newShowOn(t *testing.T, redisURL string, lots int, duration time.Duration) *showEnv {
	t.Helper()
	return newShowLogged(t, redisURL, quiet(), lots, duration)
}

// newShowLogged is newShowOn with the server logging to log.
func newShowLogged(t *testing.T, redisURL string, log *slog.Logger, lots int, duration time.Duration) *showEnv {
	t.Helper()
	return newShowWith(t, redisURL, log, nil, lots, duration)
}

// newShowWith is newShowLogged with extra environment variables.
func newShowWith(t *testing.T, redisURL string, log *slog.Logger, extra map[string]string, lots int,
	duration time.Duration) *showEnv {
	t.Helper()
	env := map[string]string{"LOT_GRACE": "200ms", "BID_POLL_INTERVAL": "100ms"}
	for k, v := range extra {
		env[k] = v
	}
	cfg := testConfigWith(t, redisURL, env)
	base, app := startAppLogged(t, cfg, log)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	room, err := ops.CreateRoom(ctx, app.db, base, "Cameras", fmt.Sprintf("sara-%d", time.Now().UnixNano()),
		ops.RoomOptions{Public: true, GuestsMayBid: true})
	if err != nil {
		t.Fatal(err)
	}
	if room.LotIDs, err = ops.AddLots(ctx, app.db, room.RoomID, room.SellerID, ops.LotSpec{Count: lots, Currency: "KRW",
		Opening: 10_000, DurationMS: duration.Milliseconds(), Policy: "soft-close"}); err != nil {
		t.Fatal(err)
	}
	link, err := app.svc.auth.IssueLoginLink(ctx, room.SellerID)
	if err != nil {
		t.Fatal(err)
	}
	seller := newHTTPUser(t, base)
	if code := seller.do("GET", strings.TrimPrefix(link, cfg.PublicURL), "", nil); code != http.StatusOK {
		t.Fatalf("seller login link: status %d", code)
	}
	return &showEnv{t: t, base: base, app: app, room: room, seller: seller}
}

// goLive starts the show through the API.
func (e *showEnv) goLive() {
	e.t.Helper()
	var out map[string]any
	if code := e.seller.do("POST", "/api/v1/rooms/"+e.room.RoomID+"/live", "", &out); code != http.StatusOK {
		e.t.Fatalf("go live: status %d %v", code, out)
	}
}

// guest signs a new guest in.
func (e *showEnv) guest(name string) *httpUser {
	e.t.Helper()
	u := newHTTPUser(e.t, e.base)
	if code := u.do("POST", "/auth/guest", `{"display_name":"`+name+`"}`, nil); code != http.StatusOK {
		e.t.Fatalf("guest sign-in: status %d", code)
	}
	return u
}

func isEvent(typ string) func(wsMsg) bool { return func(m wsMsg) bool { return m.Type == typ } }

// TestLiveAuctionOverWebSocket runs one lot end to end through the wired
// server: the seller goes live and starts a lot, two guests bid over the
// WebSocket through the per-room queue and actor, a low bid is refused
// privately, the seller ends the lot, and Postgres holds every decision.
func TestLiveAuctionOverWebSocket(t *testing.T) {
	e := newShow(t, 2, time.Minute)
	e.goLive()
	lot := e.room.LotIDs[0]

	sws := e.seller.dial()
	sws.request("join", map[string]any{"room_id": e.room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})
	sws.await("lot.started", isEvent("lot.started"))

	alice, bob := e.guest("alice").dial(), e.guest("bob").dial()
	for _, c := range []*wsClient{alice, bob} {
		snap := c.request("join", map[string]any{"room_id": e.room.RoomID})
		_ = snap
	}
	ack := alice.request("bid.place", map[string]any{"lot_id": lot, "amount": 10_000, "currency": "KRW", "bid_id": "a-1"})
	if ack.field("status") != "pending" || ack.field("seq") == "" {
		t.Fatalf("bid ack: %s", ack.Data)
	}
	// Alice learns her own outcome with her bid_id; Bob sees the bid too,
	// without it.
	alice.await("alice's own outcome", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(m.field("bid"), `"a-1"`)
	})
	accepted := bob.await("alice's bid accepted", isEvent("bid.accepted"))
	if accepted.field("high_bid") == "" || accepted.field("deadline") == "" {
		t.Fatalf("accepted event lacks price or deadline: %s", accepted.Data)
	}

	// Bob bids too low: only Bob hears why.
	bob.request("bid.place", map[string]any{"lot_id": lot, "amount": 10_000, "currency": "KRW", "bid_id": "b-1"})
	rej := bob.await("bob's rejection", isEvent("bid.rejected"))
	if rej.field("reason") != "too_low" {
		t.Fatalf("rejection: %s", rej.Data)
	}
	// Then outbids Alice, who is told privately.
	bob.request("bid.place", map[string]any{"lot_id": lot, "amount": 12_000, "currency": "KRW", "bid_id": "b-2"})
	alice.await("outbid notice", isEvent("bid.outbid"))

	// A resubmitted bid_id is recognized, not bid twice.
	dup := bob.request("bid.place", map[string]any{"lot_id": lot, "amount": 12_000, "currency": "KRW", "bid_id": "b-2"})
	if dup.field("duplicate") != "" && !strings.Contains(string(dup.Data), `"duplicate":true`) {
		t.Fatalf("duplicate ack: %s", dup.Data)
	}

	sws.request("lot.end", map[string]any{})
	closed := alice.await("lot closed", isEvent("lot.closed"))
	if !strings.Contains(closed.field("result"), `"status":"sold"`) {
		t.Fatalf("closed: %s", closed.Data)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bids, err := storage.NewBids(e.app.db).ListByLot(ctx, lot, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range bids {
		got[b.BidID] = b.Outcome + "/" + b.Reason
	}
	want := map[string]string{"a-1": "accepted/", "b-1": "rejected/too_low", "b-2": "accepted/"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("bids in Postgres: %v, want %v", got, want)
	}
	res, err := storage.NewLots(e.app.db).GetResult(ctx, lot)
	if err != nil || res.Outcome != "sold" || res.Price == nil || *res.Price != 12_000 {
		t.Fatalf("result: %+v %v", res, err)
	}

	// The next lot starts from the queue; commands from a bidder are refused.
	if code := alice.requestErr("lot.start", map[string]any{"lot_id": e.room.LotIDs[1]}); code != "forbidden" {
		t.Fatalf("bidder command: %q", code)
	}
	sws.request("lot.start", map[string]any{"lot_id": e.room.LotIDs[1]})
	started := alice.await("second lot", isEvent("lot.started"))
	if started.field("lot_id") != e.room.LotIDs[1] {
		t.Fatalf("second lot: %s", started.Data)
	}
}
