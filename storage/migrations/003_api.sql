-- What the HTTP API needs beyond the first schema: sellers' webhooks with a
-- log of every delivery attempt, and indexes that keep keyset pagination
-- (the API's cursors) an index range scan rather than a sort.

CREATE TABLE webhooks (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    -- The HMAC key. It has to be kept in clear to sign deliveries; the API
    -- shows it once, when the webhook is registered.
    secret     text NOT NULL CHECK (length(secret) >= 32),
    events     text[] NOT NULL DEFAULT '{lot.closed}',
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id, created_at DESC, id DESC);

-- One row per delivery attempt, successful or not, so a seller can see why
-- an endpoint missed an event and that a retry reached it.
CREATE TABLE webhook_deliveries (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id  uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 128),
    event_type  text NOT NULL,
    attempt     integer NOT NULL CHECK (attempt >= 1),
    -- NULL when the endpoint gave no HTTP answer (refused, timed out).
    status_code integer,
    error       text NOT NULL DEFAULT '' CHECK (length(error) <= 1000),
    duration_ms integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Room listings page by a per-status sort key (see storage/api_rooms.go).
CREATE INDEX rooms_upcoming_page_idx ON rooms ((coalesce(scheduled_at, created_at)), id)
    WHERE status = 'scheduled';
CREATE INDEX rooms_live_page_idx ON rooms ((coalesce(started_at, created_at)) DESC, id DESC)
    WHERE status = 'live';
CREATE INDEX rooms_ended_page_idx ON rooms ((coalesce(ended_at, created_at)) DESC, id DESC)
    WHERE status = 'ended';

-- "My bids" pages by (created_at, id); the first schema indexes created_at only.
CREATE INDEX bids_bidder_page_idx ON bids (bidder_id, created_at DESC, id DESC);
-- A lot's public history reads accepted bids only.
CREATE INDEX bids_lot_accepted_idx ON bids (lot_id, ingress_seq DESC) WHERE outcome = 'accepted';
