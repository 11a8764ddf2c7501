-- The bid pipeline resumes a room after its highest decided ingress sequence
-- number; this index makes that lookup (and per-room audits) cheap.
CREATE INDEX bids_room_seq_idx ON bids (room_id, ingress_seq DESC);
