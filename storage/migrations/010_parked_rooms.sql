-- Parked rooms. A live room that nobody has used for a while (no publisher,
-- no viewers, no bids or seller commands, no lot clock running) parks: its
-- state is all here already, so the node that ran it stops its actor and
-- its queue server and releases its lease. parked_at says since when; the
-- nodes' scan for live rooms to claim skips parked ones, a bid, a viewer or
-- the seller wakes the room (parked_at back to NULL), and a room parked
-- longer than ROOM_ABANDON_AFTER is ended. On an ended room parked_at marks
-- Redis keys still to remove (its Asynq queue, whose completed tasks only a
-- running queue server would delete, and its sequencer keys): every room
-- that ends is marked, and so are those that ended before this migration,
-- so the nodes' sweep clears what they left too.

ALTER TABLE rooms ADD COLUMN parked_at timestamptz;
UPDATE rooms SET parked_at = coalesce(ended_at, now()) WHERE status = 'ended';
CREATE INDEX rooms_parked_idx ON rooms (parked_at) WHERE parked_at IS NOT NULL;
