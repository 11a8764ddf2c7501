-- Parked rooms. A live room that nobody has used for a while (no publisher,
-- no viewers, no bids or seller commands, no lot clock running) parks: its
-- state is all here already, so the node that ran it stops its actor and
-- its queue server and releases its lease. parked_at says since when; the
-- nodes' scan for live rooms to claim skips parked ones, a bid, a viewer or
-- the seller wakes the room (parked_at back to NULL), and a room parked
-- longer than ROOM_ABANDON_AFTER is ended. A room that ends while parked
-- keeps parked_at until a node has removed its Redis keys.

ALTER TABLE rooms ADD COLUMN parked_at timestamptz;
CREATE INDEX rooms_parked_idx ON rooms (parked_at) WHERE parked_at IS NOT NULL;
