package auction

import (
	"context"
	"testing"
	"time"
)

func TestModeration(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	h.max("lot-1", "mallory", 9_000)
	if err := h.room.Ban(ctx, "mallory"); err != nil {
		t.Fatal(err)
	}
	st, _ := h.room.Moderation(ctx, "mallory")
	if !st.Banned || st.CanChat(h.clock.Now()) {
		t.Fatalf("banned status %+v", st)
	}
	// Her proxy no longer bids for her; her standing bid stays (binding).
	res := h.bid("lot-1", "bob", 1_100)
	mustAccept(t, res)
	if res.LeaderID != "bob" || len(res.AutoBids) != 0 {
		t.Fatalf("banned proxy still bidding: %+v", res)
	}
	mustReject(t, h.bid("lot-1", "mallory", 5_000), ReasonBanned)
	if err := h.room.Unban(ctx, "mallory"); err != nil {
		t.Fatal(err)
	}
	mustAccept(t, h.bid("lot-1", "mallory", 5_000))

	if err := h.room.Mute(ctx, "bob", time.Minute); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.room.Moderation(ctx, "bob"); !st.Muted || st.CanChat(h.clock.Now()) {
		t.Fatalf("muted status %+v", st)
	}
	mustAccept(t, h.bid("lot-1", "bob", 6_000)) // muted users may still bid
	h.clock.Advance(time.Minute)
	if st, _ := h.room.Moderation(ctx, "bob"); st.Muted || !st.CanChat(h.clock.Now()) {
		t.Fatalf("mute did not expire: %+v", st)
	}
	if err := h.room.Mute(ctx, "carol", 0); err != nil {
		t.Fatal(err)
	}
	if err := h.room.Unmute(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if err := h.room.SetSlowMode(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.room.Moderation(ctx, "carol"); st.Muted || st.SlowModeMS != 3_000 {
		t.Fatalf("carol %+v", st)
	}
	if err := h.room.Ban(ctx, testSeller); err == nil {
		t.Fatal("banned the seller")
	}
	var mods int
	for _, e := range h.sink.all() {
		if e.Type == EventModeration {
			mods++
		}
	}
	if mods != 6 {
		t.Fatalf("%d moderation events, want 6", mods)
	}
	if s := h.snap(); s.SlowModeMS != 3_000 {
		t.Fatalf("snapshot slow mode %d", s.SlowModeMS)
	}
}
