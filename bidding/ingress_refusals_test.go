package bidding

import (
	"context"
	"errors"
	"testing"
)

// TestIngressRefusals: the ingress script refuses, without sequencing
// anything, a new bid in a room marked ended and one from a bidder in the
// room's banned set; a retry of a bid sequenced before either still gets
// the original, and an Ingress that checks no bans ignores the set.
func TestIngressRefusals(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	bannedSet := func(roomID string) string { return "bidcast:{" + roomID + "}:test:banned" }
	checking := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{BannedSet: bannedSet})
	ignoring := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	for _, tc := range []struct {
		name    string
		in      *Ingress
		refuse  func(roomID, bidderID string) error
		wantErr error
	}{
		{"ended room", checking, func(roomID, _ string) error { return MarkRoomEnded(ctx, rdb, roomID) }, ErrRoomEnded},
		{"banned bidder", checking, func(roomID, bidderID string) error {
			return rdb.SAdd(ctx, bannedSet(roomID), bidderID).Err()
		}, ErrBidderBanned},
		{"bans not checked", ignoring, func(roomID, bidderID string) error {
			return rdb.SAdd(ctx, bannedSet(roomID), bidderID).Err()
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			room, lot := newUUID(), newUUID()
			t.Cleanup(func() {
				deleteQueue(t, rdb, room)
				rdb.Del(ctx, endedKey(room), bannedSet(room))
			})
			before := sampleBid(room, lot, 1)
			if _, err := tc.in.Submit(ctx, before); err != nil {
				t.Fatal(err)
			}
			if err := tc.refuse(room, before.BidderID); err != nil {
				t.Fatal(err)
			}
			after := sampleBid(room, lot, 2)
			after.BidderID = before.BidderID
			_, err := tc.in.Submit(ctx, after)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("bid: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("bid: %v, want %v", err, tc.wantErr)
			}
			if seq, err := rdb.Get(ctx, seqKey(room)).Int64(); err != nil || seq != 1 {
				t.Fatalf("sequence counter %d, %v: the refused bid was numbered", seq, err)
			}
			if rc, err := tc.in.Submit(ctx, before); err != nil || !rc.Duplicate || rc.Bid.Seq != 1 {
				t.Fatalf("retry of the earlier bid: %+v, %v", rc, err)
			}
		})
	}
}
