package signaling

import "context"

// BidRequest is a bid as the gateway hands it to the pipeline: the
// client's bid.place or bid.max with the bidder the connection
// authenticated.
type BidRequest struct {
	RoomID, LotID, BidID, BidderID string
	// Amount is in minor units of Currency.
	Amount   int64
	Currency string
	// Max sets a proxy maximum (bid.max) instead of a plain bid.
	Max bool
}

// BidReceipt is what the pipeline knows of a bid when it takes it: its
// ingress sequence number and its outcome so far (pending for a new bid,
// the original outcome for a resubmitted bid_id).
type BidReceipt struct {
	Seq int64
	// Status is pending, accepted or rejected (AckData.Status).
	Status string
	// Reason is the stable rejection code of a rejected bid.
	Reason string
	// Duplicate is true when the bidder had submitted the bid_id before.
	Duplicate bool
}

// handleBid puts a bid.place or bid.max into the bid pipeline. The ack says
// the bid is sequenced (its ingress seq) and what is known of its outcome:
// pending for a new bid, or the original outcome for a resubmitted bid_id.
// The decision arrives later as a private room event (bid.accepted or
// bid.rejected) and, if accepted, a public one for the room.
func (g *Gateway) handleBid(ctx context.Context, c *conn, env Envelope) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	var d BidData
	if err := decodeData(env, &d); err != nil {
		return err
	}
	if !c.id.CanBid {
		return Errorf(CodeForbidden, "your account may not bid yet")
	}
	if !c.bidLimit.Allow() {
		return Errorf(CodeRateLimited, "you are bidding too fast")
	}
	info, err := g.rooms.live(ctx, roomID)
	if err != nil {
		return err
	}
	if err := g.mayBid(c.id, info); err != nil {
		return err
	}
	// The room's bans are the submitter's to enforce (BidSubmitter), in
	// the same Redis step that sequences the bid.
	if g.bids == nil {
		return Errorf(CodeUnavailable, "bidding is not available on this server")
	}
	rec, err := g.bids.SubmitBid(ctx, BidRequest{RoomID: roomID, LotID: d.LotID, BidID: d.BidID,
		BidderID: c.id.UserID, Amount: d.Amount, Currency: d.Currency, Max: env.Type == TypeBidMax})
	if err != nil {
		return err
	}
	g.stats.bids.Add(1)
	c.send(encode(TypeAck, env.ID, 0, AckData{BidID: d.BidID, Seq: rec.Seq, Status: rec.Status,
		Duplicate: rec.Duplicate, Reason: rec.Reason}))
	return nil
}
