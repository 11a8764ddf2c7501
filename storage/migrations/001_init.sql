-- The first schema: accounts, the seller's catalogue, live shows and their
-- lots, every bid with its outcome, lot results and chat moderation.
-- Money is bigint minor units beside a three-letter currency code.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider      text NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
    subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    email         text NOT NULL DEFAULT '',
    role          text NOT NULL DEFAULT 'bidder' CHECK (role IN ('bidder', 'seller', 'admin')),
    seller_status text NOT NULL DEFAULT 'none'
                  CHECK (seller_status IN ('none', 'applied', 'approved', 'rejected')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, subject)
);

CREATE TABLE items (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id   uuid NOT NULL REFERENCES users (id),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    category    text NOT NULL DEFAULT '' CHECK (length(category) <= 64),
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_seller_idx ON items (seller_id, created_at DESC, id DESC);

CREATE TABLE item_media (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id        uuid NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('image', 'video')),
    status         text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
    failure_reason text NOT NULL DEFAULT '',
    content_type   text NOT NULL,
    storage_key    text NOT NULL,
    size_bytes     bigint NOT NULL CHECK (size_bytes >= 0),
    width          integer,
    height         integer,
    duration_ms    integer,
    position       integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_media_item_idx ON item_media (item_id, position);

-- A room is one live show: one seller, one stream, one chat, ordered lots.
CREATE TABLE rooms (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id          uuid NOT NULL REFERENCES users (id),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    status             text NOT NULL DEFAULT 'scheduled'
                       CHECK (status IN ('draft', 'scheduled', 'live', 'ended')),
    is_public          boolean NOT NULL DEFAULT true,
    -- SHA-256 of the publish token; the token itself is shown once and never stored.
    publish_token_hash bytea NOT NULL CHECK (length(publish_token_hash) = 32),
    scheduled_at       timestamptz,
    started_at         timestamptz,
    ended_at           timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rooms_status_idx ON rooms (status, scheduled_at, id);
CREATE INDEX rooms_seller_idx ON rooms (seller_id, created_at DESC);

CREATE TABLE lots (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    room_id         uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    item_id         uuid NOT NULL REFERENCES items (id),
    position        integer NOT NULL CHECK (position >= 0),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    opening_price   bigint NOT NULL CHECK (opening_price >= 0),
    reserve_price   bigint NOT NULL DEFAULT 0 CHECK (reserve_price >= 0),
    -- Price bands: [{"from": minor units, "step": minor units}, ...].
    increment_table jsonb NOT NULL,
    -- {"kind": "dynamic"|"soft-close"|"sudden-death", ...policy parameters}.
    clock_policy    jsonb NOT NULL,
    duration_ms     bigint NOT NULL CHECK (duration_ms > 0),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'live', 'paused', 'closing', 'sold', 'unsold', 'cancelled')),
    deadline        timestamptz,
    remaining_ms    bigint,
    high_bid        bigint,
    leader_id       uuid REFERENCES users (id),
    high_bid_id     text,
    -- Hidden proxy maxima, owned by the room actor and restored after a restart.
    proxy_state     jsonb NOT NULL DEFAULT '[]',
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (room_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
-- One lot is live at a time in a room.
CREATE UNIQUE INDEX lots_one_active_idx ON lots (room_id) WHERE state IN ('live', 'paused', 'closing');

-- Every bid the pipeline handled, accepted or not, with its outcome.
CREATE TABLE bids (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The client's idempotency key: a retried bid is recognized, never doubled.
    bid_id      text NOT NULL UNIQUE CHECK (length(bid_id) BETWEEN 1 AND 64),
    room_id     uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    lot_id      uuid NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    bidder_id   uuid NOT NULL REFERENCES users (id),
    amount      bigint NOT NULL,
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    kind        text NOT NULL DEFAULT 'bid' CHECK (kind IN ('bid', 'max', 'proxy')),
    ingress_seq bigint NOT NULL,
    received_at timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bids_lot_idx ON bids (lot_id, ingress_seq);
CREATE INDEX bids_bidder_idx ON bids (bidder_id, created_at DESC);

CREATE TABLE lot_results (
    lot_id         uuid PRIMARY KEY REFERENCES lots (id) ON DELETE CASCADE,
    room_id        uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    outcome        text NOT NULL CHECK (outcome IN ('sold', 'unsold', 'cancelled')),
    winner_id      uuid REFERENCES users (id),
    winning_bid_id text,
    price          bigint,
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    closed_at      timestamptz NOT NULL,
    CHECK ((outcome = 'sold') = (winner_id IS NOT NULL AND price IS NOT NULL))
);
CREATE INDEX lot_results_winner_idx ON lot_results (winner_id, closed_at DESC);

CREATE TABLE chat_mutes (
    room_id    uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    muted_by   uuid NOT NULL REFERENCES users (id),
    until      timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE chat_bans (
    room_id    uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    banned_by  uuid NOT NULL REFERENCES users (id),
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
