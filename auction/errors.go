package auction

import "errors"

// Sentinel errors returned by the room actor and configuration checks.
// Bid refusals are not errors: they come back as a [Reason] in [BidResult].
var (
	// ErrRoomStopped is returned by every command once the room's Run loop
	// has ended (or was never started and the caller's context ended).
	ErrRoomStopped = errors.New("auction: room stopped")
	// ErrAlreadyRunning is returned by Run when the room is already running
	// or has run before; a Room runs once.
	ErrAlreadyRunning = errors.New("auction: room already running")
	// ErrInvalidConfig wraps every reason a lot or room configuration is
	// refused by Validate.
	ErrInvalidConfig = errors.New("auction: invalid configuration")
	// ErrNoLot is returned by seller commands that need a current lot when
	// no lot has been started.
	ErrNoLot = errors.New("auction: no current lot")
	// ErrLotActive is returned when starting a lot while another one is
	// live, paused or closing: one lot is live at a time.
	ErrLotActive = errors.New("auction: another lot is active")
	// ErrBadTransition is returned when a seller command does not apply to
	// the lot's current state (pausing a paused lot, relisting a sold one).
	ErrBadTransition = errors.New("auction: command not allowed in the lot's state")
	// ErrWrongLot is returned when a seller command names a lot other than
	// the room's current one.
	ErrWrongLot = errors.New("auction: not the room's current lot")
	// ErrLotHasBids is returned by Skip when the lot already has accepted
	// bids: bids are binding, so such a lot can only be ended.
	ErrLotHasBids = errors.New("auction: lot has accepted bids")
	// ErrCommit wraps a Store failure reported to a seller or moderation
	// command; the command had no effect.
	ErrCommit = errors.New("auction: commit failed")
	// ErrVersionConflict is returned by a Store when the stored lot's
	// version is not the one the actor expected (another owner wrote it).
	ErrVersionConflict = errors.New("auction: lot version conflict")
	// ErrInvalidRestore is returned by Restore for a snapshot that does not
	// describe a lot this room can run.
	ErrInvalidRestore = errors.New("auction: invalid restore snapshot")
)
