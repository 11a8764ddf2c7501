-- Fencing tokens of room ownership. A node that claims a room's lease (in
-- Redis) raises the room's token here before it restores the room, and every
-- commit of the room checks, in its own transaction, that the token is still
-- the one its instance raised; so an owner that lost its lease (paused,
-- partitioned) can never commit after the next owner has started.

CREATE TABLE room_fences (
    room_id    uuid PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    token      bigint NOT NULL CHECK (token > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
