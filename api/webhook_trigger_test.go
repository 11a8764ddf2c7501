package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/auction"
)

// TestWebhookTriggerTakesResultFromEventWithoutBlocking: the lot.closed
// webhook is built from the room's event alone (the lot exists in no
// database here), the subscriber never blocks the room's publisher even
// when nothing drains it, and Run queues the fan-out task.
func TestWebhookTriggerTakesResultFromEventWithoutBlocking(t *testing.T) {
	rdb := newRedis(t)
	queue := uniquePrefix("webhooks")
	t.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(queue, true) })
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()

	room, lot, winner := newTestUUID(), newTestUUID(), newTestUUID()
	closedAt := time.Date(2026, 1, 2, 15, 0, 0, 123_456_789, time.UTC)
	sold := auction.Event{Type: auction.EventLotClosed, LotID: lot, Currency: "KRW", Status: auction.StatusSold,
		Result: &auction.LotResult{Status: auction.StatusSold, WinnerID: winner, WinningBidID: "b1",
			Price: auction.Money{Amount: 42_000, Currency: "KRW"}, ClosedAt: closedAt}}

	// Nobody runs this one: past its buffer OnEvent drops and counts
	// instead of waiting.
	idle := NewWebhookTrigger(client, nil, asynq.Queue(queue))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range triggerBuffer + 5 {
			idle.OnEvent(room, sold)
		}
		idle.OnEvent(room, auction.Event{Type: auction.EventBidAccepted, LotID: lot})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("OnEvent blocked with nobody draining the trigger")
	}
	if got := idle.Dropped(); got != 5 {
		t.Fatalf("dropped %d webhooks, want 5 (other events are not webhooks)", got)
	}

	tr := NewWebhookTrigger(client, nil, asynq.Queue(queue))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); tr.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	tr.OnEvent(room, sold)

	insp := asynq.NewInspectorFromRedisClient(rdb)
	var info *asynq.TaskInfo
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if info, err = insp.GetTaskInfo(queue, "lot.closed:"+lot); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lot.closed task was never queued: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var got LotClosedEvent
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.LotID != lot || got.RoomID != room || got.Outcome != "sold" || got.WinnerID == nil || *got.WinnerID != winner ||
		got.Price == nil || *got.Price != 42_000 || got.Currency != "KRW" ||
		!got.ClosedAt.Equal(closedAt.Truncate(time.Microsecond)) {
		t.Fatalf("lot.closed payload = %+v", got)
	}

	// An unsold lot names no winner and no price, only its currency.
	unsold, ok := LotClosedFromEvent(room, auction.Event{Type: auction.EventLotClosed, LotID: lot, Currency: "KRW",
		Result: &auction.LotResult{Status: auction.StatusUnsold, ClosedAt: closedAt}})
	if !ok || unsold.Outcome != "unsold" || unsold.WinnerID != nil || unsold.Price != nil || unsold.Currency != "KRW" {
		t.Fatalf("unsold lot.closed = %+v, %v", unsold, ok)
	}
}

// newTestUUID returns a random version 4 UUID.
func newTestUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
