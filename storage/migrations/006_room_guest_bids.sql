-- Guest bidding is a room's own setting: a room takes bids from guest
-- accounts (display name only) only when its seller says so, as the demo
-- room does. It used to be one server-wide switch, so turning it on for the
-- demo opened every seller's room to guests.

ALTER TABLE rooms ADD COLUMN guests_may_bid boolean NOT NULL DEFAULT false;
