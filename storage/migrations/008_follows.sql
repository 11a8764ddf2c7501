-- Followers of sellers. When a followed seller's show goes live each
-- follower gets a seller_live notification, which names the room and no lot.

CREATE TABLE follows (
    follower_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seller_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, seller_id),
    CHECK (follower_id <> seller_id)
);
CREATE INDEX follows_seller_idx ON follows (seller_id);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('outbid', 'won', 'sold', 'unsold', 'seller_live'));
ALTER TABLE notifications ALTER COLUMN lot_id DROP NOT NULL;
ALTER TABLE notifications ADD CONSTRAINT notifications_lot_check
    CHECK ((lot_id IS NULL) = (kind = 'seller_live'));
