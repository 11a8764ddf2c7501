package bidding

import (
	"errors"

	"github.com/bidcast/bidcast/storage"
)

// permanent reports whether err is a failure that applying the same bid
// again can never cure: the bid's shape is invalid, or Postgres refused its
// values (a check or uniqueness rule, a bidder or room that does not exist).
// Such a bid is rejected with a stated reason and the room moves on; every
// other error (Postgres or Redis unreachable, a timeout, a serialization
// failure, a room whose actor fell behind) is transient and retried in
// order, since the bid may yet be accepted. So is storage.ErrFenced, a
// commit of a room that a newer claim took over: it wrote nothing, the node
// stops the room at its next renewal, and the new owner decides the bid.
//
// Only errors that say the statement failed count: a permanent error means
// nothing of the bid was committed, so rejecting it can never contradict an
// acceptance.
func permanent(err error) bool {
	return err != nil && !errors.Is(err, storage.ErrFenced) && (errors.Is(err, ErrInvalidBid) ||
		errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrNotFound))
}
