package bidding

// Redis names used by the pipeline. A room's keys share the hash tag {id} so
// they live in one slot and one Lua script may touch them all.

// QueueName is the Asynq queue that carries a room's bids.
func QueueName(roomID string) string { return "room:" + roomID }

func seqKey(roomID string) string       { return "bidcast:{" + roomID + "}:seq" }
func bidIDsKey(roomID string) string    { return "bidcast:{" + roomID + "}:bidids" }
func logKey(roomID string) string       { return "bidcast:{" + roomID + "}:log" }
func receivedKey(roomID string) string  { return "bidcast:{" + roomID + "}:received" }
func nudgeChannel(roomID string) string { return "bidcast:{" + roomID + "}:ingress" }
func outcomeKey(bidderID, bidID string) string {
	return "bidcast:outcome:" + bidKey(bidderID, bidID)
}
func leaseKey(roomID string) string { return "bidcast:{" + roomID + "}:owner" }

// endedKey marks a room that has ended: the ingress script refuses its
// bids (see DeleteRoomKeys).
func endedKey(roomID string) string { return "bidcast:{" + roomID + "}:ended" }

// noBansKey stands in the ingress script's keys for the banned set when
// the Ingress checks no bans; it is never written.
func noBansKey(roomID string) string { return "bidcast:{" + roomID + "}:nobans" }

// bidKey is a bid's idempotency key: the bidder's ID (a fixed-length UUID,
// so the pair reads back unambiguously) and the client's bid_id. A bid_id is
// the client's own key, unique per bidder only.
func bidKey(bidderID, bidID string) string { return bidderID + "/" + bidID }

// Task types on the Asynq queues.
const (
	// TaskPlaceBid carries one sequenced bid on the room's queue.
	TaskPlaceBid = "bid:place"
	// TaskCloseLot is the scheduled backstop that closes a lot whose deadline
	// has passed, in case its owner is gone.
	TaskCloseLot = "lot:close"
	// TaskNotify carries outbid and winner notifications.
	TaskNotify = "notify"
)
