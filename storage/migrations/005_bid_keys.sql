-- Issue 16, findings 0 and 9.
--
-- A bid's idempotency key is the pair (bidder, bid_id): a bid_id is the
-- client's own key, so two bidders may pick the same one and each gets a bid
-- of their own; a retry by the same bidder is still recognized.
ALTER TABLE bids DROP CONSTRAINT bids_bid_id_key;
ALTER TABLE bids ADD CONSTRAINT bids_bidder_bid_id_key UNIQUE (bidder_id, bid_id);

-- lots.high_bid_id and lot_results.winning_bid_id keep the client's bid_id:
-- beside leader_id and winner_id (the bid's bidder) they are exactly that
-- key, so existing rows keep their meaning and need no rewrite.
COMMENT ON COLUMN lots.high_bid_id IS 'bid_id of the leading bid; with leader_id it names one row of bids (bidder_id, bid_id)';
COMMENT ON COLUMN lot_results.winning_bid_id IS 'bid_id of the winning bid; with winner_id it names one row of bids (bidder_id, bid_id)';

-- Every bid the pipeline decides must be recordable, or it would be retried
-- forever ahead of the room's later bids. A bid can name a lot that exists
-- nowhere, or one of another room; its rejection then keeps the lot ID as
-- the client sent it in lot_ref instead of a reference. Accepted bids always
-- reference their lot.
ALTER TABLE bids ALTER COLUMN lot_id DROP NOT NULL;
ALTER TABLE bids ADD COLUMN lot_ref text CHECK (length(lot_ref) <= 64);
ALTER TABLE bids ADD CONSTRAINT bids_lot_known
    CHECK (lot_id IS NOT NULL OR (outcome = 'rejected' AND lot_ref IS NOT NULL));
