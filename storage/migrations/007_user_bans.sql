-- Site-wide bans: a banned account may not open a WebSocket, and its open
-- ones are closed when the ban is made (room bans stay in Redis with the
-- room's moderation state). One row per banned user; unbanning deletes it.

CREATE TABLE user_bans (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
