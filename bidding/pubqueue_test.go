package bidding

import (
	"runtime"
	"sync"
	"testing"

	"github.com/bidcast/bidcast/auction"
)

func item(seq int64) pubItem { return pubItem{ev: auction.Event{Seq: seq}} }

func seqs(items []pubItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ev.Seq
	}
	return out
}

func TestPubQueueTakesInOrderUpToMax(t *testing.T) {
	tests := []struct {
		name   string
		pushed int
		max    int
		want   []int64
		left   int
	}{
		{"empty", 0, 4, []int64{}, 0},
		{"fewer than max", 3, 4, []int64{1, 2, 3}, 0},
		{"exactly max", 4, 4, []int64{1, 2, 3, 4}, 0},
		{"more than max", 6, 4, []int64{1, 2, 3, 4}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newPubQueue()
			for i := 1; i <= tt.pushed; i++ {
				if !q.push(item(int64(i))) {
					t.Fatalf("push %d refused", i)
				}
			}
			got := seqs(q.take(nil, tt.max))
			if len(got) != len(tt.want) {
				t.Fatalf("took %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("took %v, want %v", got, tt.want)
				}
			}
			if n := q.queued(); n != tt.left {
				t.Fatalf("%d left, want %d", n, tt.left)
			}
			// A token waits exactly when something is queued or was pushed
			// since the last wait; after a take that leaves items, one must.
			if tt.left > 0 {
				select {
				case <-q.ready:
				default:
					t.Fatal("items left but no token in ready")
				}
			}
		})
	}
}

func TestPubQueueRefusesPastItsBound(t *testing.T) {
	q := newPubQueue()
	for i := 0; i < publisherBuffer; i++ {
		if !q.push(item(int64(i))) {
			t.Fatalf("push %d refused below the bound", i)
		}
	}
	if q.push(item(-1)) {
		t.Fatal("push past publisherBuffer accepted")
	}
	q.take(nil, 1)
	if !q.push(item(-1)) {
		t.Fatal("push refused after a take made room")
	}
}

func TestPubQueueLetsABurstsArrayGo(t *testing.T) {
	q := newPubQueue()
	for i := 0; i < 1000; i++ {
		q.push(item(int64(i)))
	}
	for q.queued() > 0 {
		q.take(nil, 256)
	}
	if c := cap(q.items); c > pubQueueKeep {
		t.Fatalf("a drained queue keeps %d slots, want at most %d", c, pubQueueKeep)
	}
	// A small queue keeps its array for the next event.
	q.push(item(1))
	q.take(nil, 256)
	if cap(q.items) == 0 {
		t.Fatal("a drained small queue let its array go")
	}
}

// TestPubQueueConcurrentPushAndTake: what one goroutine pushes, another
// takes whole and in order by waiting on ready, including after the front
// of the array was reused.
func TestPubQueueConcurrentPushAndTake(t *testing.T) {
	const n = 20000
	q := newPubQueue()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			for !q.push(item(int64(i))) {
				runtime.Gosched() // full: the taker is behind
			}
		}
	}()
	next := int64(1)
	batch := make([]pubItem, 0, 7)
	for next <= n {
		<-q.ready
		batch = q.take(batch[:0], cap(batch))
		for _, it := range batch {
			if it.ev.Seq != next {
				t.Fatalf("took seq %d, want %d", it.ev.Seq, next)
			}
			next++
		}
	}
	wg.Wait()
	if q.queued() != 0 {
		t.Fatalf("%d items left", q.queued())
	}
}
