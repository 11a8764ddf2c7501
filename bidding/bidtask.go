package bidding

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// A bid's Asynq task is written by the ingress script itself (see
// sequenceScript), in the same atomic step as its sequence number and log
// entry, instead of by a second round trip through asynq.Client. The
// script writes exactly what asynq.Client.Enqueue with ProcessIn would:
// the task hash under the room queue's key prefix and the task's ID in the
// queue's scheduled set, and it registers the queue. The layout is Asynq
// v0.26's (internal/base: keys; internal/proto: TaskMessage);
// TestBidTaskIsAsynqs reads a task back through asynq.Inspector and has an
// asynq.Server run it, so an Asynq upgrade that moves either fails there.
//
// The task is the backstop, not the fast path: it is scheduled a little
// ahead (bidTaskBackstop), the owner applies the bid from the log on its
// nudge, and once the batch is committed it drops the tasks it decided
// (dropTasksScript) before they are due. Only a bid the owner did not
// decide in time (a dead owner, a backlog, a nudge lost with no
// re-subscription to notice) reaches Asynq's processor (its forwarder
// looks for due tasks every 5 s), whose handler applies it or completes
// at once with the stored outcome.

// bidTaskBackstop is how far ahead a bid's task is scheduled by default
// (IngressConfig.TaskBackstop). Asynq scores scheduled tasks in whole
// seconds, so a task comes due 1–2 s after its bid was received.
const bidTaskBackstop = 2 * time.Second

// asynqAllQueues is Asynq's set of known queue names (base.AllQueues).
const asynqAllQueues = "asynq:queues"

// asynqQueuePrefix is the prefix of every key of a room's Asynq queue.
func asynqQueuePrefix(roomID string) string { return "asynq:{" + QueueName(roomID) + "}:" }

// asynqTaskPrefix prefixes a task ID to name its hash (base.TaskKeyPrefix).
func asynqTaskPrefix(roomID string) string { return asynqQueuePrefix(roomID) + "t:" }

// asynqScheduledKey is the room queue's scheduled set (base.ScheduledKey).
func asynqScheduledKey(roomID string) string { return asynqQueuePrefix(roomID) + "scheduled" }

// Field numbers of Asynq's TaskMessage protobuf.
const (
	taskFieldType    = 1
	taskFieldPayload = 2
	taskFieldID      = 3
	taskFieldQueue   = 4
	taskFieldRetry   = 5
	taskFieldTimeout = 8
)

// Bid tasks' retry budget and per-run timeout, as asynq.MaxRetry and
// asynq.Timeout would set them.
const (
	bidTaskMaxRetry = 50
	bidTaskTimeout  = 30 * time.Second
)

// bidTaskMessage returns a bid task's encoded TaskMessage split around its
// payload: head (the type) and tail (ID, queue, retry budget, timeout).
// The script puts the payload, which only it can write (it holds the
// sequence number and receive stamp), between them as field 2; protobuf
// readers accept fields in any order.
func bidTaskMessage(roomID, taskID string) (head, tail []byte) {
	head = protowire.AppendTag(nil, taskFieldType, protowire.BytesType)
	head = protowire.AppendString(head, TaskPlaceBid)
	tail = protowire.AppendTag(nil, taskFieldID, protowire.BytesType)
	tail = protowire.AppendString(tail, taskID)
	tail = protowire.AppendTag(tail, taskFieldQueue, protowire.BytesType)
	tail = protowire.AppendString(tail, QueueName(roomID))
	tail = protowire.AppendTag(tail, taskFieldRetry, protowire.VarintType)
	tail = protowire.AppendVarint(tail, bidTaskMaxRetry)
	tail = protowire.AppendTag(tail, taskFieldTimeout, protowire.VarintType)
	tail = protowire.AppendVarint(tail, uint64(bidTaskTimeout/time.Second))
	return head, tail
}

// dropTasksScript removes decided bids' tasks that are still scheduled.
// A task Asynq has already moved on (pending or running) is left to it:
// its handler completes at once with the stored outcome, and deleting the
// hash under it would break Asynq's own bookkeeping.
//
// KEYS: the queue's scheduled set. ARGV: the task key prefix, task IDs.
const dropTasksScript = `
for i = 2, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('DEL', ARGV[1] .. ARGV[i])
  end
end
return 0
`

// queueDropTasks queues, on pipe, the removal of the tasks of bids (all
// decided and committed) from the room's queue.
func queueDropTasks(ctx context.Context, pipe redis.Pipeliner, roomID string, bids []Bid) {
	if len(bids) == 0 {
		return
	}
	args := make([]any, 0, len(bids)+1)
	args = append(args, asynqTaskPrefix(roomID))
	for _, b := range bids {
		args = append(args, bidKey(b.BidderID, b.BidID))
	}
	// EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT, and
	// Redis caches the compiled script by its hash either way.
	pipe.Eval(ctx, dropTasksScript, []string{asynqScheduledKey(roomID)}, args...)
}
