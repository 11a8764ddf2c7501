-- bids_bidder_idx (bidder_id, created_at DESC) is a prefix of
-- bids_bidder_page_idx (bidder_id, created_at DESC, id DESC), which serves
-- every query by bidder; keeping both cost each stored bid an index insert
-- it never used (at thousands of bids a second, one btree insert each).
DROP INDEX IF EXISTS bids_bidder_idx;
