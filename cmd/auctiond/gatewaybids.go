package main

import (
	"context"
	"errors"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/signaling"
)

// gatewayBids hands the gateway's bids to the bid pipeline's ingress:
// signaling declares what it needs (BidSubmitter) in its own types, so it
// does not import bidding, and bidding, a floor below, cannot import
// signaling; this plug is wiring, so it stays in main.
type gatewayBids struct{ in *bidding.Ingress }

var _ signaling.BidSubmitter = gatewayBids{}

// SubmitBid implements signaling.BidSubmitter. A bid the ingress refuses for
// its shape goes back as invalid_bid with the ingress's wording, which is
// meant for clients ("amount must be ..."); one from a bidder the room
// banned goes back as banned, and one for a room that ended after the
// gateway last looked as room_not_live.
func (g gatewayBids) SubmitBid(ctx context.Context, r signaling.BidRequest) (signaling.BidReceipt, error) {
	kind := bidding.KindBid
	if r.Max {
		kind = bidding.KindMax
	}
	rec, err := g.in.Submit(ctx, bidding.Bid{RoomID: r.RoomID, LotID: r.LotID, BidID: r.BidID,
		BidderID: r.BidderID, Amount: r.Amount, Currency: r.Currency, Kind: kind})
	if errors.Is(err, bidding.ErrInvalidBid) {
		return signaling.BidReceipt{}, signaling.Errorf(signaling.CodeInvalidBid, err.Error())
	}
	if errors.Is(err, bidding.ErrBidderBanned) {
		return signaling.BidReceipt{}, signaling.Errorf(signaling.CodeBanned, "you are banned from this room")
	}
	if errors.Is(err, bidding.ErrRoomEnded) {
		return signaling.BidReceipt{}, signaling.Errorf(signaling.CodeRoomNotLive, "the room has ended")
	}
	if err != nil {
		return signaling.BidReceipt{}, err
	}
	return signaling.BidReceipt{Seq: rec.Bid.Seq, Status: rec.Outcome.Status, Reason: rec.Outcome.Reason,
		Duplicate: rec.Duplicate}, nil
}
