package signaling

// BidGrant decides whether an identity may bid in a room. It is asked at
// every bid and for the snapshot's can_bid, with the room being bid in, so
// a room's own settings (guest bidding) count and nothing server-wide
// opens every room. AuthService (authsvc.go) answers with auth's rule
// (auth.Principal.CanBid); an error should be an *Error with a stable code.
type BidGrant interface {
	CanBid(id Identity, room RoomInfo) error
}

// defaultBidGrant is the rule when Deps.BidGrant is nil: guests bid only in
// rooms that take guest bids, the same rule as auth's.
type defaultBidGrant struct{}

func (defaultBidGrant) CanBid(id Identity, room RoomInfo) error {
	if id.Guest && !room.GuestsMayBid {
		return Errorf(CodeForbidden, "guests may not bid in this room; sign in with an account to bid")
	}
	return nil
}

// mayBid reports whether id may bid in room: an account allowed to bid,
// not the room's own seller, and the grant's yes for this room.
func (g *Gateway) mayBid(id Identity, room RoomInfo) error {
	switch {
	case !id.CanBid:
		return Errorf(CodeForbidden, "your account may not bid yet")
	case id.UserID == room.SellerID:
		return Errorf(CodeForbidden, "sellers cannot bid in their own room")
	}
	return g.grant.CanBid(id, room)
}
