-- Notifications a user gets about lots: outbid, won, and (for the seller)
-- sold or unsold. They are written by the notify queue's worker, at most
-- once per event thanks to dedupe_key, and read through the API.

CREATE TABLE notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('outbid', 'won', 'sold', 'unsold')),
    room_id    uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    lot_id     uuid NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    -- The price that outbid the user, or the winning price.
    amount     bigint CHECK (amount IS NULL OR amount > 0),
    currency   text NOT NULL DEFAULT '' CHECK (currency = '' OR currency ~ '^[A-Z]{3}$'),
    dedupe_key text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 300),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
