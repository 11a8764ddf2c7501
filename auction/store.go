package auction

import (
	"context"
)

// Store is the room actor's persistence boundary. The actor calls it before
// it tells anyone about a change, and treats an error as "nothing
// happened": the bids are rejected as unavailable, the seller command fails,
// the close is retried.
//
// Every LotState passed in has Version one above the version the actor
// last committed (or Lot.Version for a freshly started lot). An
// implementation must write it only if the stored version is Version-1 and
// otherwise return an error wrapping ErrVersionConflict, so a node that lost
// ownership of a room can never overwrite its successor's state.
//
// Calls come from the room's single goroutine, one at a time per room, with
// a context bounded by Config.StoreTimeout; a store is shared by rooms, so
// it must be safe for concurrent use across rooms.
type Store interface {
	// CommitBatch records every decision of a batch (DecideBids), accepted
	// bids with their proxy bids and rejected bids with their reasons, and
	// the lot's state after the batch (when Lot is not nil), atomically:
	// on error nothing is stored.
	CommitBatch(ctx context.Context, c BatchCommit) error
	// CommitLot records a state change that has no bid: start, pause,
	// resume, a proxy maximum raised by the leader, closing, and the close
	// with its result.
	CommitLot(ctx context.Context, s LotState) error
}
